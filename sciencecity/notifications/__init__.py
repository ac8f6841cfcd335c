"""Notifications to any object: in-app messages to one person about something (an application, a task, a
problem, a project, or nothing at all), their inbox pages and API.

A base app: it imports no domain app. The apps that send notifications contribute what only they know in
their `AppConfig.ready`: the names of their kinds (`kinds.register`), and for each model a notification may be
about, how it is fetched and where its reader opens it (`subjects.register`), plus any API fields derived from
the subject (`api.register_subject_fields`).

What the other apps call:
- `services.notify(recipients, kind, compose, *, about=None, dedupe_key="")`, or `services.build(...)` then
  `services.send(...)` for several in one INSERT; `mark_read`, `mark_kind_read`, `mark_all_read`;
- `Notification.objects.for_user(user)`, `.unread()`, `.about(obj)`, `.about_any(model, ids)`;
- `selectors.unread_by_kind`, `selectors.unread_count`, `subjects.link_all(user, notifications)`.
"""
