"""Journey 4 (DESIGN.md §5) as the meetings issue checks it: a coordinator sees a patient with
worsening pain and a plan awaiting approval as suggestions, adds both, publishes (attendees are
notified), runs the meeting (the plan is approved, an action is recorded), closes it with one
case undiscussed; the next meeting holds that case; the action's owner is reminded once; the
minutes print."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from clinic.accounts.models import Discipline
from clinic.accounts.roles import Role
from clinic.reminders.models import Notification, Reminder
from meetings.models import AgendaItem, ItemReason, Meeting, MeetingStatus
from meetings.notifications import ACTION_DUE, MEETING_PUBLISHED
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import give_authenticator, screenshot, sign_in, watch_csp
from tests.meetings.helpers import deliver_due, plan_awaiting, record_pain
from tests.patients.helpers import make_patient


def _team() -> dict[str, Any]:
    coordinator = make_user(
        Role.COORDINATOR,
        username="cora",
        first_name="Cora",
        last_name="Osei",
        discipline=Discipline.COORDINATION,
    )
    give_authenticator(coordinator)
    amara = make_user(Role.CLINICIAN, username="amara", first_name="Amara", last_name="Diallo")
    give_authenticator(amara)
    others = [
        make_user(
            Role.CLINICIAN,
            first_name="Pia",
            last_name="Palliative",
            discipline=Discipline.PALLIATIVE_CARE,
        ),
        make_user(
            Role.CLINICIAN,
            first_name="Ivan",
            last_name="Radiology",
            discipline=Discipline.INTERVENTIONAL_RADIOLOGY,
        ),
        make_user(
            Role.CLINICIAN, first_name="Olga", last_name="Oncology", discipline=Discipline.ONCOLOGY
        ),
    ]
    return {"coordinator": coordinator, "amara": amara, "others": others}


def test_a_coordinator_builds_runs_and_closes_a_team_meeting(new_page: Any) -> None:
    team = _team()
    amara = team["amara"]
    now = timezone.now()
    worse = make_patient(by=amara, given_name="Wanda", family_name="Whitfield")
    record_pain(worse, amara, 3, at=now - dt.timedelta(days=8))
    record_pain(worse, amara, 8, at=now - dt.timedelta(days=1))
    plan = plan_awaiting(amara, make_patient(by=amara, given_name="Paolo", family_name="Rossi"))
    # Next week's meeting exists already; the coordinator plans this week's in the app.
    start = timezone.localtime(now).replace(hour=13, minute=0, second=0, microsecond=0)
    start += dt.timedelta(days=1)
    following = Meeting.objects.create(
        starts_at=start + dt.timedelta(days=7),
        ends_at=start + dt.timedelta(days=7, hours=1),
        chair=team["coordinator"],
        place="Seminar room 2",
        created_by=team["coordinator"],
    )

    page = new_page()
    violations = watch_csp(page)
    sign_in(page, "cora", PASSWORD)
    page.goto("/meetings/")
    screenshot(page, "meetings-list-empty")
    page.get_by_role("link", name="New meeting").click()
    page.get_by_label("Starts at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends at").fill((start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place").fill("Seminar room 2")
    page.get_by_label("Video link").fill("https://video.example.org/mdt")
    screenshot(page, "meeting-create-form")
    page.get_by_role("button", name="Create the meeting").click()
    expect(page.get_by_text("The meeting is created.")).to_be_visible()

    # Both patients are suggested (loaded after the page), each with its reason; one click adds
    # each.
    suggestions = page.get_by_test_id("suggestion")
    expect(suggestions.filter(has_text="WHITFIELD, Wanda")).to_contain_text("Worsening pain")
    expect(suggestions.filter(has_text="ROSSI, Paolo")).to_contain_text(
        "Procedure plan awaiting approval"
    )
    screenshot(page, "meeting-agenda-suggestions")
    page.get_by_role("button", name="Add WHITFIELD, Wanda to the agenda").click()
    page.get_by_role("button", name="Add ROSSI, Paolo to the agenda").click()
    agenda = page.locator("#agenda")
    expect(agenda.locator("li.list-group-item")).to_have_count(2)
    # Rossi first: the move buttons are ordinary buttons (keyboard operable).
    page.get_by_role("button", name="Move ROSSI, Paolo up").focus()
    page.keyboard.press("Enter")
    expect(agenda.locator("li.list-group-item").first).to_contain_text("ROSSI, Paolo")

    page.get_by_role("link", name="Publish the agenda").click()
    screenshot(page, "meeting-publish-confirm")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The agenda is published")).to_be_visible()
    meeting = Meeting.objects.exclude(pk=following.pk).get()
    assert meeting.status == MeetingStatus.PUBLISHED
    # A case's summary loads when it is opened, as frozen at publishing (its pain chart too,
    # under the page's CSP).
    cases = agenda.locator("li.list-group-item")
    for case in (cases.first, cases.nth(1)):
        case.get_by_text("Case summary (as published)").click()
    expect(cases.first.locator(".case-summary")).to_contain_text("ROSSI, Paolo")
    expect(cases.nth(1).locator(".case-summary")).to_contain_text("WHITFIELD, Wanda")
    expect(cases.nth(1).locator(".pain-chart svg")).to_be_visible()
    screenshot(page, "meeting-agenda-summary")
    # The worker sends the notifications: every attendee gets one, in the app and by email.
    deliver_due()
    published = Reminder.objects.filter(kind=MEETING_PUBLISHED, subject_code=meeting.code)
    assert published.count() == 5 and {r.status for r in published} == {"sent"}
    page.goto("/reminders/inbox/")
    expect(page.get_by_text(re.compile("the agenda is published"))).to_be_visible()
    screenshot(page, "meeting-notification-inbox")

    # Run the meeting: attendance, then case by case.
    page.goto(f"/meetings/{meeting.code}/")
    page.get_by_role("button", name="Start the meeting").first.click()
    expect(page.get_by_role("heading", name="Meeting in progress")).to_be_visible()
    expect(page.get_by_test_id("quorum")).to_contain_text("Not quorate")
    page.get_by_role("link", name="Record attendance").click()
    for person in [amara, *team["others"]]:
        page.locator(f"input[name='person_{person.pk}'][value='present']").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_test_id("quorum")).to_contain_text("Quorate")
    expect(
        page.get_by_role("heading", name=re.compile("Case 1 of 2: ROSSI, Paolo"))
    ).to_be_visible()
    page.locator("#id_decision_kind").select_option("approve_plan")
    page.locator("#id_plan").select_option(str(plan.code))
    page.locator("#id_discussion").fill("Diagnostic block gave 70 % relief; proceed.")
    screenshot(page, "meeting-run-decision")
    # The case summary shares the page with the case list and the decision: too narrow for its
    # two columns side by side (the scores table ran over the opioids), so they stack, and no
    # table runs out of its column.
    layout = page.evaluate(
        """() => {
            const summary = document.querySelector('.case-summary');
            const [scores, opioids] = [...summary.querySelectorAll(':scope > .row > div')]
                .map((column) => column.getBoundingClientRect());
            const overruns = [...summary.querySelectorAll('table')].filter((table) => {
                const column = table.closest('[class*="col-"]');
                const right = column.getBoundingClientRect().right;
                return table.getBoundingClientRect().right > right + 1;
            });
            return {
                width: summary.getBoundingClientRect().width,
                stacked: opioids.top >= scores.bottom - 1,
                overruns: overruns.length,
            };
        }"""
    )
    assert layout["width"] < 640 and layout["stacked"] and layout["overruns"] == 0
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_test_id("decision")).to_contain_text("Approve the procedure plan")
    plan.refresh_from_db()
    assert plan.status == "approved"
    due = timezone.localdate() + dt.timedelta(days=5)
    page.locator("#id_owner").select_option(str(amara.pk))
    page.locator("#id_what").fill("Book the neurolysis list")
    page.locator("#id_due_date").fill(due.isoformat())
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_text("Book the neurolysis list")).to_be_visible()
    screenshot(page, "meeting-run-action")

    # Close with Whitfield not discussed.
    page.get_by_role("link", name="Close the meeting").click()
    expect(page.get_by_text("not discussed: carried over to the next meeting")).to_be_visible()
    page.get_by_role("button", name="Close the meeting").click()
    expect(page.get_by_text("these minutes are fixed")).to_be_visible()
    expect(page.get_by_test_id("minutes-case")).to_have_count(2)
    screenshot(page, "meeting-minutes")
    page.emulate_media(media="print")
    screenshot(page, "meeting-minutes-print")
    page.emulate_media(media="screen")

    carried = AgendaItem.objects.get(meeting=following)
    assert (carried.patient, carried.reason) == (worse, ItemReason.CARRIED_OVER)
    page.goto(f"/meetings/{following.code}/")
    expect(page.locator("#agenda")).to_contain_text("WHITFIELD, Wanda")
    expect(page.locator("#agenda")).to_contain_text("Carried over")
    screenshot(page, "meeting-next-agenda")

    page.goto(f"/meetings/{meeting.code}/agenda/print/")
    page.emulate_media(media="print")
    screenshot(page, "meeting-agenda-print")

    # The owner is reminded once, the day before the due date.
    reminder = Reminder.objects.get(kind=ACTION_DUE)
    deliver_due(now=reminder.due_at + dt.timedelta(minutes=1))
    deliver_due(now=reminder.due_at + dt.timedelta(minutes=2))
    assert Notification.objects.filter(recipient=amara, reminder__kind=ACTION_DUE).count() == 1

    owner = new_page()
    owner_violations = watch_csp(owner)
    sign_in(owner, "amara", PASSWORD)
    owner.goto("/meetings/actions/mine/")
    expect(owner.get_by_text("Book the neurolysis list")).to_be_visible()
    screenshot(owner, "meeting-my-actions")
    owner.get_by_role("button", name="Mark done: Book the neurolysis list").click()
    expect(owner.get_by_text("Marked done: Book the neurolysis list")).to_be_visible()

    assert violations == [] and owner_violations == []
