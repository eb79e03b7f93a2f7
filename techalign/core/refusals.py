"""Every refusal the domain can give: stable code -> HTTP status and message template.

Messages are English source strings marked for translation; `Refused.message` renders them in
the active language with the refusal's details. Codes never change once published.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_noop as _


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


FORBIDDEN, NOT_FOUND, CONFLICT, INVALID, TOO_LARGE = 403, 404, 409, 422, 413

REFUSALS: dict[str, Refusal] = {
    # roles and access
    "role.not_allowed": Refusal(
        FORBIDDEN, _("Only a {roles} of team {team} may {action}; {user} is not one.")
    ),
    "role.not_party_member": Refusal(
        FORBIDDEN, _("{user} is neither a PM nor a DEV of team {team}, so cannot sign for it.")
    ),
    "access.not_found": Refusal(
        NOT_FOUND, _("{kind} {ref} does not exist or is not visible to you.")
    ),
    "auth.required": Refusal(401, _("Sign in or send an API token to do this.")),
    # generic input
    "input.invalid": Refusal(INVALID, _("{field}: {problem}")),
    "input.too_long": Refusal(INVALID, _("{field} is longer than {limit} characters.")),
    # size limits (techalign/core/limits.py, docs/limits.md)
    "limit.too_many": Refusal(INVALID, _("Too many {what}: {value}; the limit is {limit}.")),
    "limit.body_too_large": Refusal(
        TOO_LARGE, _("The request body is {value} bytes; the limit is {limit} bytes.")
    ),
    "import.too_large": Refusal(
        TOO_LARGE, _("{file} is {value} bytes; {what} may be at most {limit} bytes.")
    ),
    "import.not_text": Refusal(INVALID, _("{file} is not a UTF-8 text file: {problem}.")),
    "import.yaml_too_complex": Refusal(
        INVALID, _("{file}, line {line}: more than {limit} {what}.")
    ),
    "input.date_out_of_range": Refusal(
        INVALID, _("{field}: {value} is outside the accepted dates, {earliest} to {latest}.")
    ),
    "input.duration_too_long": Refusal(
        INVALID, _("{field}: lasts {duration}, longer than the longest allowed, {limit}.")
    ),
    "input.days_out_of_range": Refusal(
        INVALID, _("{field}: {value} days is outside the accepted range, {earliest} to {latest}.")
    ),
    "precondition.required": Refusal(
        428, _("Send If-Match with the ETag you read, so a concurrent change is not overwritten.")
    ),
    "precondition.failed": Refusal(
        412, _("{kind} {ref} changed since you read it (you sent {seen}, it is now {current}).")
    ),
    "conflict.stale_version": Refusal(
        412,
        _(
            "{kind} {ref} was changed by someone else (you edited version {seen}, it is now "
            "version {current}); reload and try again."
        ),
    ),
    # requirements and hand-off
    "requirement.wrong_step": Refusal(
        CONFLICT, _('Requirement {requirement} is at step "{status}"; {action} needs "{needed}".')
    ),
    "requirement.transition_not_allowed": Refusal(
        CONFLICT,
        _('Requirement {requirement} cannot move from "{status}" to "{target}" in the process.'),
    ),
    "requirement.no_scenarios": Refusal(
        CONFLICT,
        _("Requirement {requirement} has no scenarios; add at least one before handing off."),
    ),
    "requirement.lead_dev_missing": Refusal(
        CONFLICT, _("Requirement {requirement} has no lead DEV; assign one before handing off.")
    ),
    "requirement.lead_dev_not_dev": Refusal(
        INVALID, _("{user} is not a DEV of the lead team {team}, so cannot be the lead DEV.")
    ),
    "requirement.baselined": Refusal(
        CONFLICT,
        _("Requirement {requirement} has baseline v{version}; change it through a change request."),
    ),
    "scenario.already_acknowledged": Refusal(
        CONFLICT, _("Scenario {scenario} is already acknowledged.")
    ),
    "scenario.open_questions": Refusal(
        CONFLICT, _("Scenario {scenario} has unanswered questions: {questions}.")
    ),
    "scenario.not_out_of_scope": Refusal(
        CONFLICT, _("Scenario {scenario} is not marked out of scope.")
    ),
    "scenario.covered_cannot_be_out_of_scope": Refusal(
        CONFLICT, _("Scenario {scenario} is covered by item(s) {items}; remove them from it first.")
    ),
    "scenario.not_lead_dev": Refusal(
        FORBIDDEN,
        _(
            "Only the lead DEV {lead_dev} of {requirement}, or a DEV they delegate, may "
            "acknowledge its scenarios; {user} is neither."
        ),
    ),
    "delegate.not_lead_dev": Refusal(
        FORBIDDEN,
        _(
            "Only the lead DEV {lead_dev} of {requirement} may delegate acknowledging; "
            "{user} is not."
        ),
    ),
    "delegate.not_dev": Refusal(
        INVALID,
        _("{user} is not a DEV of the lead team {team}, so cannot acknowledge scenarios."),
    ),
    "delegate.is_lead_dev": Refusal(
        INVALID, _("{user} is the lead DEV of {requirement} and acknowledges without delegation.")
    ),
    "delegate.already_delegated": Refusal(
        CONFLICT, _("{user} already acknowledges scenarios of {requirement} as a delegate.")
    ),
    "delegate.not_delegated": Refusal(
        CONFLICT, _("{user} is not a delegate for acknowledging scenarios of {requirement}.")
    ),
    "question.already_resolved": Refusal(CONFLICT, _("Question {question} is already resolved.")),
    "question.not_blocking_target": Refusal(
        INVALID, _("Item {item} is not in the current revision of the plan.")
    ),
    "question.not_asker_side": Refusal(
        FORBIDDEN,
        _(
            "Only {asker}, who asked {question}, or a PM or DEV of team {team} may {action}; "
            "{user} is neither."
        ),
    ),
    "question.not_asker": Refusal(
        FORBIDDEN, _("Only {asker}, who asked {question}, may {action}; {user} is not them.")
    ),
    "question.asker_cannot_propose": Refusal(
        FORBIDDEN,
        _("{user} asked {question}: the other side proposes an answer, and the asker accepts it."),
    ),
    "question.own_answer": Refusal(
        FORBIDDEN,
        _(
            "{user} proposed the answer to {question}, so cannot accept it too; "
            "{asker}'s side does."
        ),
    ),
    "question.no_answer": Refusal(
        CONFLICT, _("Question {question} has no reply to accept as its answer yet.")
    ),
    "question.nothing_proposed": Refusal(
        CONFLICT, _("No answer to question {question} is proposed, so there is none to reject.")
    ),
    "question.not_accepted": Refusal(
        CONFLICT, _("Question {question} is still open, so there is nothing to reopen.")
    ),
    # plans, revisions, review
    "plan.stale_revision": Refusal(
        CONFLICT,
        _(
            "The plan is at revision {current}; your change was based on revision {based_on}. "
            "Reload and apply it again."
        ),
    ),
    "plan.coverage_incomplete": Refusal(
        CONFLICT, _("Scenario(s) {scenarios} not covered by any item nor marked out of scope.")
    ),
    "plan.related_party_missing": Refusal(
        CONFLICT,
        _("Component {component} is owned by team {team}, which is not a related party."),
    ),
    "plan.empty": Refusal(CONFLICT, _("The plan has no items yet.")),
    "plan.scenarios_unacknowledged": Refusal(
        CONFLICT,
        _(
            "Scenario(s) {scenarios} not acknowledged since handed off or changed; "
            "the lead DEV {lead_dev} or a delegate must acknowledge them."
        ),
    ),
    "plan.items_suspect": Refusal(
        CONFLICT,
        _(
            "Item(s) {items} are suspect: scenario(s) {scenarios} they cover changed; "
            "a DEV must confirm or edit them."
        ),
    ),
    "plan.gaps_unconfirmed": Refusal(
        CONFLICT,
        _(
            "Revision {revision} has gaps a reviewer would have to refuse: {problems} "
            "Confirm to submit it anyway."
        ),
    ),
    "plan.withdrawal_unconfirmed": Refusal(
        CONFLICT,
        _(
            "Saving this change makes a new revision and withdraws {withdrawn}; the plan goes "
            "back to planning. Confirm to save it anyway."
        ),
    ),
    "item.not_suspect": Refusal(CONFLICT, _("Item {item} has no suspect mark to confirm.")),
    "item.not_found": Refusal(NOT_FOUND, _("Item {item} is not in revision {revision}.")),
    "plan.markdown_invalid": Refusal(INVALID, _("Plan file, line {line}: {problem}.")),
    "plan.markdown_other_requirement": Refusal(
        INVALID, _("The plan file is about {document}, not {requirement}.")
    ),
    "item.unknown_scenario": Refusal(
        INVALID, _("Scenario(s) {scenarios} do not exist in requirement {requirement}.")
    ),
    "item.other_party": Refusal(
        FORBIDDEN,
        _(
            "Component {component} is in the section of team {team}: only DEVs of team {team} "
            "or of the lead team {lead} may write its items; {user} is neither."
        ),
    ),
    "item.ask_missing": Refusal(
        INVALID,
        _(
            "Item {item} changes {component} of team {team}: "
            "state the ask to that team and a due date."
        ),
    ),
    "review.own_revision": Refusal(
        FORBIDDEN, _("{user} authored plan content of revision {revision} and cannot review it.")
    ),
    "review.stale_revision": Refusal(
        CONFLICT, _("Revision {revision} is not the current revision ({current}).")
    ),
    "review.hash_mismatch": Refusal(
        CONFLICT, _("The content you reviewed ({seen}) is not revision {revision}'s ({current}).")
    ),
    "review.already_approved": Refusal(
        CONFLICT,
        _(
            "{user} has already approved revision {revision}; the high-risk plan now waits for "
            "{missing}."
        ),
    ),
    "requirement.cancel_reason_required": Refusal(
        INVALID, _("Say why: cancelling requirement {requirement} needs a reason.")
    ),
    "risk.reason_required": Refusal(
        INVALID, _("Say why: marking a requirement high-risk or clearing it needs a reason.")
    ),
    "risk.not_high": Refusal(CONFLICT, _("Requirement {requirement} is not marked high-risk.")),
    "review.comment_required": Refusal(INVALID, _("Say what must change when requesting changes.")),
    # meetings
    "meeting.plan_not_approved": Refusal(
        CONFLICT, _("The plan of {requirement} is not approved (revision {revision} is {status}).")
    ),
    "meeting.invitees_missing": Refusal(CONFLICT, _("Required invitees missing: {missing}.")),
    "meeting.presenter_not_dev": Refusal(
        CONFLICT, _("The presenter must be a DEV of the lead team {team}; {user} is not.")
    ),
    "meeting.presenter_not_invited": Refusal(
        CONFLICT, _("The presenter {user} is not among the invitees.")
    ),
    "meeting.bad_time": Refusal(INVALID, _("The meeting must end after it starts.")),
    "meeting.wrong_state": Refusal(
        CONFLICT, _("Meeting {meeting} is {status}; {action} needs it to be {needed}.")
    ),
    "meeting.below_minimum": Refusal(
        CONFLICT, _("{user} is the only {role} of {team} invited; the minimum needs one.")
    ),
    "meeting.not_invitee": Refusal(INVALID, _("{user} is not invited to meeting {meeting}.")),
    "meeting.not_participant": Refusal(
        FORBIDDEN,
        _(
            "Only invitees of meeting {meeting} and the lead team's PMs and DEVs may {action}; "
            "{user} is neither."
        ),
    ),
    "meeting.not_started": Refusal(
        CONFLICT, _("Meeting {meeting} starts at {starts}; it cannot be marked held before then.")
    ),
    "meeting.attendance_missing": Refusal(
        CONFLICT,
        _("Attendance is not recorded for {users} at meeting {meeting}; record who came first."),
    ),
    "meeting.revision_not_approved": Refusal(
        CONFLICT,
        _(
            "Revision {revision} of the plan is not approved for alignment, so meeting {meeting} "
            "cannot be marked held on it."
        ),
    ),
    # attendance waivers
    "waiver.reason_required": Refusal(
        INVALID, _("Give the reason team {team} is excused from the alignment meeting.")
    ),
    "waiver.withdrawal_reason_required": Refusal(
        INVALID, _("Give the reason the waiver of team {team} is withdrawn.")
    ),
    "waiver.withdrawn": Refusal(
        CONFLICT, _("The waiver of team {team} on {requirement} is already withdrawn.")
    ),
    "waiver.not_a_party": Refusal(
        CONFLICT,
        _("Team {team} is neither the lead team nor a related party of revision {revision}."),
    ),
    # answering an invitation (in the app, by the API or from a link in the invitation)
    "invitation.not_invitee": Refusal(
        FORBIDDEN,
        _("Only an invitee of meeting {meeting} may answer its invitation; {user} is not invited."),
    ),
    "invitation.meeting_started": Refusal(
        CONFLICT,
        _("Meeting {meeting} started at {start}; an invitation is answered before it starts."),
    ),
    "invitation.link_invalid": Refusal(
        FORBIDDEN,
        _(
            "This answer link is damaged or was not issued by techalign. Use the link in the "
            "latest invitation, or sign in and answer on the meeting's page."
        ),
    ),
    "invitation.link_other_meeting": Refusal(
        FORBIDDEN, _("This answer link belongs to another meeting, not to {meeting}.")
    ),
    "invitation.link_replaced": Refusal(
        410,
        _(
            "Meeting {meeting} was changed after this invitation was sent (update {sent}, now "
            "update {current}); use the link in the latest invitation."
        ),
    ),
    "invitation.link_expired": Refusal(
        410, _("This answer link expired when meeting {meeting} ended ({end}).")
    ),
    # sign-off and finalize
    "signoff.meeting_not_held": Refusal(
        CONFLICT,
        _(
            "No alignment meeting of {requirement} has been held on an approved revision yet; "
            "the parties sign off after it."
        ),
    ),
    "signoff.not_a_party": Refusal(
        CONFLICT, _("Team {team} is neither the lead team nor a related party of {requirement}.")
    ),
    "signoff.not_required": Refusal(
        CONFLICT,
        _(
            "Team {team}'s part is unchanged by {change}; "
            "its sign-off on the baseline still stands."
        ),
    ),
    "signoff.stale_revision": Refusal(
        CONFLICT,
        _("You are signing revision {revision}, but the current revision is {current}."),
    ),
    "signoff.hash_mismatch": Refusal(
        CONFLICT, _("The content you reviewed ({seen}) is not revision {revision}'s ({current}).")
    ),
    "signoff.plan_not_approved": Refusal(
        CONFLICT,
        _("Revision {revision} is not approved by a reviewer yet, so it cannot be signed."),
    ),
    "signoff.reason_required": Refusal(INVALID, _("Give a reason when rejecting.")),
    "signoff.role_not_held": Refusal(
        FORBIDDEN, _("{user} is not a {role} of team {team}, so cannot sign for it as {role}.")
    ),
    "signoff.not_lead_dev": Refusal(
        FORBIDDEN,
        _(
            "Only the lead DEV of {requirement} ({lead_dev}) signs for the lead team {team} "
            "as DEV; {user} is not."
        ),
    ),
    "signoff.stands": Refusal(
        CONFLICT,
        _(
            "Team {team}'s sign-off on revision {signed} stands: its section is unchanged in "
            "revision {revision}."
        ),
    ),
    "finalize.signer_missing": Refusal(
        CONFLICT, _("{requirement} needs a {role} of {team} to sign revision {revision}.")
    ),
    "finalize.lead_dev_missing": Refusal(
        CONFLICT,
        _("{requirement} needs its lead DEV {user} to sign revision {revision} for {team}."),
    ),
    "finalize.signoffs_missing": Refusal(
        CONFLICT, _("Not signed on revision {revision} by: {teams}.")
    ),
    "finalize.signoffs_rejected": Refusal(
        CONFLICT, _("Revision {revision} was rejected by: {teams}.")
    ),
    "finalize.blocking_questions": Refusal(
        CONFLICT, _("Blocking questions are still open: {questions}.")
    ),
    "action_item.already_done": Refusal(
        CONFLICT, _('Action item "{action_item}" is already done.')
    ),
    "finalize.action_items_open": Refusal(
        CONFLICT, _("Action items on plan items are still open: {items}.")
    ),
    "finalize.not_approved": Refusal(
        CONFLICT, _("Revision {revision} is not approved by a reviewer.")
    ),
    "finalize.approval_owed": Refusal(
        CONFLICT,
        _(
            "Revision {revision} was approved before {requirement} was marked high-risk; it "
            "still needs the approval of {missing}."
        ),
    ),
    "finalize.party_not_aligned": Refusal(
        CONFLICT,
        _(
            "Not aligned with every party: nobody attended a held alignment meeting as "
            "{parties}, and no waiver excuses them."
        ),
    ),
    # calendars and the slot finder
    "calendar.not_owner": Refusal(
        FORBIDDEN, _("Only {owner} or an administrator may change the calendars of {owner}.")
    ),
    "calendar.ics_invalid": Refusal(INVALID, _("Calendar {name} cannot be read: {problem}.")),
    "calendar.bad_url": Refusal(INVALID, _("{url} is not an http or https address.")),
    "outbound.local_address": Refusal(
        INVALID,
        _(
            "{host} leads into the server's own network ({address}); an administrator can "
            "allow it in TECHALIGN_OUTBOUND_ALLOWLIST."
        ),
    ),
    "calendar.fetch_failed": Refusal(CONFLICT, _("Fetching calendar {name} failed: {problem}.")),
    "calendar.caldav_auth_failed": Refusal(
        CONFLICT, _("The CalDAV server {server} refused the login of {user} (HTTP {status}).")
    ),
    "calendar.caldav_failed": Refusal(CONFLICT, _("CalDAV server {server}: {problem}.")),
    "calendar.bad_hours": Refusal(INVALID, _("Working hours: {problem}.")),
    "calendar.bad_time_zone": Refusal(INVALID, _("{zone} is not a known time zone.")),
    "slots.no_invitees": Refusal(INVALID, _("There are no required invitees to find a slot for.")),
    "slots.bad_request": Refusal(INVALID, _("Slot search: {problem}.")),
    "slots.unknown_target": Refusal(
        INVALID, _("{ref} names neither a requirement (REQ-n) nor a meeting (REQ-n/M-k).")
    ),
    # notifications
    "notify.unknown_event": Refusal(INVALID, _("{event} is not a notification event.")),
    "notify.bad_channel": Refusal(INVALID, _("Chat channel: {problem}.")),
    "notify.not_allowed": Refusal(
        FORBIDDEN, _("{user} may not change the notification settings of {target}.")
    ),
    # change control and schedule
    "change.not_baselined": Refusal(
        CONFLICT, _("Requirement {requirement} has no baseline yet; edit the plan directly.")
    ),
    "change.already_open": Refusal(
        CONFLICT, _("Change request {change} is still open for {requirement}.")
    ),
    "change.wrong_state": Refusal(CONFLICT, _("Change request {change} is {status}.")),
    "change.phase_reason_required": Refusal(
        INVALID,
        _(
            "The milestones put {requirement} in {proposed}; say why the gap was found in "
            "{phase}, earlier than that."
        ),
    ),
    "change.root_cause_required": Refusal(
        INVALID, _("Say why the alignment missed this gap: a root cause is required.")
    ),
    "change.cause_subject_required": Refusal(
        INVALID, _("A change whose root cause is {cause} must name the {subject} concerned.")
    ),
    "change.unknown_cause_subject": Refusal(
        INVALID, _("{requirement} has no {subject} {ref} to name as the cause.")
    ),
    "change.nothing_changed": Refusal(
        CONFLICT,
        _(
            "Change request {change} has not changed the plan since baseline v{version}; "
            "change the plan or withdraw the request."
        ),
    ),
    "milestone.not_baselined": Refusal(
        CONFLICT,
        _("Requirement {requirement} has no baseline; schedule milestones after finalizing."),
    ),
    "milestone.not_a_party": Refusal(
        CONFLICT, _("Team {team} has no part in baseline v{version} of {requirement}.")
    ),
    "org.admin_required": Refusal(
        FORBIDDEN, _("Only an administrator may {action}; {user} is not one.")
    ),
    "org.last_admin": Refusal(
        CONFLICT,
        _("{user} is the last administrator; grant the role to someone else before removing it."),
    ),
    "org.department_not_empty": Refusal(
        CONFLICT,
        _("Department {department} still has teams ({teams}); move them to another first."),
    ),
    "org.deactivate_self": Refusal(
        CONFLICT, _("{user} cannot deactivate their own account; ask another administrator.")
    ),
    "token.user_inactive": Refusal(CONFLICT, _("User {user} is inactive.")),
    "token.not_owner": Refusal(
        FORBIDDEN,
        _("Only {owner} or an administrator may {action} API tokens of {owner}; {user} may not."),
    ),
    # comments
    "comment.empty": Refusal(INVALID, _("A comment needs some text.")),
    "comment.unknown_mention": Refusal(
        INVALID, _("Nobody is called {names}; mention people by their user name, as in @ming.")
    ),
    "comment.mention_cannot_see": Refusal(
        INVALID, _("{users} cannot see {requirement}, so cannot be mentioned on it.")
    ),
    # throttling of expensive endpoints
    "request.throttled": Refusal(
        429,
        _(
            "Too many {what} from {who}: at most {limit} every {seconds} seconds. "
            "Try again in {retry_after} seconds."
        ),
    ),
    # company sign-in (OpenID Connect, directory) and local passwords
    "sso.local_passwords_off": Refusal(
        FORBIDDEN,
        _("Passwords kept in techalign are turned off; {user} signs in with the company account."),
    ),
    "sso.email_missing": Refusal(
        FORBIDDEN, _("The company account ({source}) gave no e-mail address, so it cannot sign in.")
    ),
    "sso.email_unverified": Refusal(
        FORBIDDEN,
        _("The company account's e-mail {email} is not verified by {source}; verify it first."),
    ),
    "sso.email_ambiguous": Refusal(
        CONFLICT, _("Several people in techalign have the e-mail {email}; ask an administrator.")
    ),
    "sso.user_deactivated": Refusal(
        FORBIDDEN, _("{user} is deactivated in techalign; ask an administrator to reactivate.")
    ),
    "sso.username_missing": Refusal(
        FORBIDDEN, _("The company account ({source}) gave no user name, so it cannot sign in.")
    ),
    "sso.username_taken": Refusal(
        CONFLICT,
        _(
            "The user name {username} belongs to someone in techalign without the e-mail "
            "{email}; ask an administrator."
        ),
    ),
    "sso.failed": Refusal(
        FORBIDDEN, _("Signing in with the company account did not complete; try again.")
    ),
    # hostile text (techalign/core/text.py)
    "text.control_character": Refusal(
        INVALID, _("{field} contains the control character {char}; remove it.")
    ),
    "text.line_break": Refusal(
        INVALID, _("{field} must be a single line; it contains the line break {char}.")
    ),
    "text.blank": Refusal(INVALID, _("{field} must contain visible characters.")),
}
