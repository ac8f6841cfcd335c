"""A poor service rating now opens a problem (source `service_rating`, category `service-rating`) instead of a
`RatingFollowUp`: one closed loop, not two. Each follow-up becomes the problem it would have been — reported
by the rater when rating, routed at once to the same department with the same stored deadline; a closed
follow-up was closed by a head of that department with what was done, so its problem carries that as the
department's acceptance, rectification and the closing check, by the same person at the same moment. The
follow-ups' own audit rows stay as they were. The way back makes the follow-ups again from these problems."""

import secrets

from django.db import migrations
from django.utils import timezone

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CATEGORY = "service-rating"
DEADLINE_DAYS = 5


def _code(Problem) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if not Problem.objects.filter(follow_up_code=code).exists():
            return code


def _number(Sequence, year: int) -> str:
    sequence, _created = Sequence.objects.select_for_update().get_or_create(key=f"problem-{year}")
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"WT{year}{sequence.last_value:07d}"


def forward(apps, schema_editor):
    FollowUp = apps.get_model("approvals", "RatingFollowUp")
    Problem = apps.get_model("problems", "Problem")
    Event = apps.get_model("problems", "ProblemEvent")
    Category = apps.get_model("problems", "ProblemCategory")
    Sequence = apps.get_model("workflow", "NumberSequence")
    follow_ups = FollowUp.objects.select_related("rating__application").order_by("rating__rated_at", "pk")
    if not follow_ups.exists():
        return
    category, _created = Category.objects.get_or_create(
        code=CATEGORY,
        defaults={"name": "服务差评整改", "name_en": "Poor service rating follow-up", "deadline_days": 5,
                  "verifier": "reporter", "evidence_required": False, "order": 900},
    )
    for follow_up in follow_ups.iterator(chunk_size=500):
        rating = follow_up.rating
        application = rating.application
        closed = follow_up.status == "closed"
        problem = Problem.objects.create(
            number=_number(Sequence, timezone.localtime(rating.rated_at).year),
            title=f"差评整改:办件 {application.number}",
            description=f"办件 {application.number} 收到 {rating.score} 分评价:{rating.comment or '(无评价内容)'}",
            category=category,
            source="service_rating",
            status="closed" if closed else "dispatched",
            department_id=follow_up.department_id,
            enterprise_id=application.enterprise_id,
            reporter_id=rating.rated_by_id,
            follow_up_code=_code(Problem),
            rating_id=rating.pk,
            reported_at=rating.rated_at,
            dispatched_at=rating.rated_at,
            accepted_at=follow_up.closed_at,
            rectified_at=follow_up.closed_at,
            closed_at=follow_up.closed_at,
            due_date=follow_up.due_date,
            due_date_provisional=follow_up.due_date_provisional,
            clock_started_on=timezone.localdate(rating.rated_at),
            clock_days=DEADLINE_DAYS,
            closed_on_time=(timezone.localdate(follow_up.closed_at) <= follow_up.due_date) if closed else None,
            resolution=follow_up.resolution,
        )
        steps = [
            ("report", "", "reported", rating.rated_by_id, rating.rated_at, ""),
            ("route", "reported", "dispatched", None, rating.rated_at, ""),
        ]
        if closed:
            steps += [
                ("accept", "dispatched", "rectifying", follow_up.closed_by_id, follow_up.closed_at, ""),
                ("rectify", "rectifying", "rectified", follow_up.closed_by_id, follow_up.closed_at, follow_up.resolution),
                ("pass", "rectified", "closed", follow_up.closed_by_id, follow_up.closed_at, "部门负责人办结差评整改"),
            ]
        Event.objects.bulk_create(
            Event(
                problem=problem,
                action=action,
                status_before=before,
                status_after=after,
                actor_id=actor,
                created_at=moment,
                note=note,
                department_id=None if action == "report" else follow_up.department_id,
            )
            for action, before, after, actor, moment, note in steps
        )
    FollowUp.objects.all().delete()


def backward(apps, schema_editor):
    FollowUp = apps.get_model("approvals", "RatingFollowUp")
    Problem = apps.get_model("problems", "Problem")
    Event = apps.get_model("problems", "ProblemEvent")
    problems = Problem.objects.filter(source="service_rating", rating_id__isnull=False)
    for problem in problems.iterator(chunk_size=500):
        closed = problem.status == "closed"
        closing = Event.objects.filter(problem=problem, action="pass").order_by("-created_at").first()
        FollowUp.objects.create(
            rating_id=problem.rating_id,
            department_id=problem.department_id,
            status="closed" if closed else "open",
            due_date=problem.due_date,
            due_date_provisional=problem.due_date_provisional,
            resolution=problem.resolution,
            closed_by_id=closing.actor_id if closed and closing else None,
            closed_at=problem.closed_at if closed else None,
        )
    for problem in problems:
        problem.photos.all().delete()
        problem.events.all().delete()
        problem.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0009_number_sequences_moved"),
        ("problems", "0003_service_rating_category"),
        ("workflow", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="RatingFollowUp"),
    ]
