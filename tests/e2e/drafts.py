"""Filling a draft application on the portal's draft page, as a person would: the required fields of the merged
form that the platform could not prefill (shared by the browser tests of the applicant and of help-and-do)."""

from sciencecity.approvals import selectors
from sciencecity.catalog.models import FormField
from tests.approvals.conftest import FILLERS


def fill_required_form(page, application) -> None:
    """Fill and save the merged form's required fields without a value (`application` as saved so far)."""
    items = selectors.selected_items(application.bundle, application.answers, complete=False)
    merged = selectors.merged_form(
        application.bundle, items, application.enterprise, application.project, application.form_data
    )
    form = page.locator("#form")
    for entry in merged:
        if entry.value in (None, "") and entry.required:
            field = form.locator(f"#form_{entry.code}")
            if entry.field.kind == FormField.Kind.CHOICE:
                field.select_option(str(entry.field.choices[0]["value"]))
            elif entry.field.kind == FormField.Kind.BOOLEAN:
                field.select_option(index=1)
            else:
                field.fill(str(FILLERS[entry.field.kind]))
    form.get_by_role("button", name="保存申请表").click()
    page.wait_for_load_state()
