"""The organisation from files: Backstage `catalog-info.yaml` (departments, teams, systems,
components, APIs and their owners) and a CSV of departments, teams, users and roles.

An import first reads every file and compares it with the database, giving a list of changes
(`Changes`) or every problem found, each with its file and line. A dry run prints the changes;
`apply_changes` writes them in one transaction, with an audit event per object. Running an
import twice changes nothing the second time, and nothing is ever deleted: a file may describe
only part of the organisation. Formats: docs/catalog-import.md.

Files are read within the limits of docs/limits.md (size, encoding, YAML nesting, documents
and aliases); a file past one is refused as a whole (`Refused`) before anything is compared.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from django.db import transaction
from django.db.models import F, Model

from techalign.audit.services import record
from techalign.core import limits, safe_yaml
from techalign.core.errors import Refused
from techalign.core.text import check_tree
from techalign.org.models import Component, Department, Membership, Role, Team, User
from techalign.org.permissions import forget_roles, is_admin

M = TypeVar("M", bound=Model)

NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
# Backstage Group types that are departments here; team-like types become teams.
DEPARTMENT_TYPES = {"department", "division", "business-unit", "product-area"}
TEAM_TYPES = {"team", "sub-team", "squad"}
COMPONENT_KINDS = {
    "service": Component.Kind.SERVICE,
    "website": Component.Kind.FRONTEND,
    "frontend": Component.Kind.FRONTEND,
    "library": Component.Kind.LIBRARY,
    "database": Component.Kind.DATABASE,
    "job": Component.Kind.JOB,
    "cronjob": Component.Kind.JOB,
}
COMMITTEE_ANNOTATION = "techalign.io/committee"
TRUE = {"1", "true", "yes", "y", "是"}
FALSE = {"", "0", "false", "no", "n", "否"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ImportProblems(Exception):
    """The files cannot be imported; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Change:
    """One object to create or update: its model, key, and the fields that differ."""

    model: str  # "department", "team", "component", "user", "membership"
    key: str
    fields: dict[str, Any]
    before: dict[str, Any] | None = None  # None: create
    source: str = ""  # file:line it comes from

    @property
    def is_create(self) -> bool:
        return self.before is None

    def __str__(self) -> str:
        if self.is_create:
            values = ", ".join(f"{k}={_show(v)}" for k, v in self.fields.items())
            return f"create {self.model} {self.key}" + (f" ({values})" if values else "")
        diffs = ", ".join(
            f"{k}: {_show(self.before[k])} -> {_show(v)}"  # type: ignore[index]
            for k, v in self.fields.items()
        )
        return f"update {self.model} {self.key}: {diffs}"


def _show(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


@dataclass
class Changes:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        created = sum(1 for c in self.changes if c.is_create)
        return (
            f"{created} to create, {len(self.changes) - created} to update, "
            f"{self.unchanged} unchanged"
        )


def _diff(
    model: str, key: str, existing: Any, wanted: dict[str, Any], source: str, changes: Changes
) -> None:
    """Record the create or update that makes `existing` (None: absent) look like `wanted`."""
    if existing is None:
        changes.changes.append(Change(model, key, wanted, None, source))
        return
    before = {k: existing[k] for k in wanted}
    differing = {k: v for k, v in wanted.items() if before[k] != v}
    if differing:
        changes.changes.append(
            Change(model, key, differing, {k: before[k] for k in differing}, source)
        )
    else:
        changes.unchanged += 1


# --- Backstage -------------------------------------------------------------------------------


@dataclass
class Entity:
    kind: str
    name: str
    data: dict[str, Any]
    node: yaml.Node
    file: str

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def line_of(self, *path: str) -> int:
        """The line of a nested field (`line_of("spec", "owner")`), else of the entity."""
        node = self.node
        for key in path:
            if not isinstance(node, yaml.MappingNode):
                return self.line
            found = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if found is None:
                return self.line
            node = found
        return node.start_mark.line + 1

    def get(self, *path: str) -> Any:
        value: Any = self.data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    @property
    def title(self) -> str:
        return str(
            self.get("spec", "profile", "displayName") or self.get("metadata", "title") or self.name
        )


def _documents(file: str, text: str, problems: list[Problem]) -> Iterable[tuple[Any, yaml.Node]]:
    try:
        yield from safe_yaml.documents(text, file=file)
    except safe_yaml.INVALID as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error).replace("\n", " ")
        problems.append(Problem(file, mark.line + 1 if mark else 1, f"not valid YAML: {problem}"))


def read_entities(
    files: list[tuple[str, str]], problems: list[Problem], notes: list[str]
) -> list[Entity]:
    """Backstage entities of the kinds imported here, from (file name, text) pairs."""
    entities = []
    for file, text in files:
        for data, node in _documents(file, text, problems):
            if data is None:
                continue
            line = node.start_mark.line + 1
            if not isinstance(data, dict) or not str(data.get("apiVersion", "")).startswith(
                "backstage.io/"
            ):
                problems.append(
                    Problem(
                        file,
                        line,
                        "not a Backstage entity (apiVersion backstage.io/v1alpha1 expected)",
                    )
                )
                continue
            kind = str(data.get("kind", ""))
            name = (
                data.get("metadata", {}).get("name")
                if isinstance(data.get("metadata"), dict)
                else None
            )
            if not isinstance(name, str) or not name:
                problems.append(Problem(file, line, f"{kind or 'entity'} without metadata.name"))
                continue
            if kind not in {"Group", "System", "Component", "API"}:
                notes.append(f"{file}:{line}: {kind} {name} skipped (not imported)")
                continue
            try:
                check_tree(data, field=f"{kind} {name}")
            except Refused as refused:
                problems.append(Problem(file, line, refused.message))
                continue
            entities.append(Entity(kind, name.lower(), data, node, file))
    return entities


def _parse_ref(ref: Any, default_kind: str) -> tuple[str, str] | None:
    """`[kind:][namespace/]name` -> (kind, name); namespaces are not kept."""
    if not isinstance(ref, str) or not ref.strip():
        return None
    text = ref.strip().lower()
    kind, _, rest = text.rpartition(":") if ":" in text else (default_kind, "", text)
    return kind, rest.rpartition("/")[2]


def _check_name(entity: Entity, limit: int, problems: list[Problem]) -> bool:
    if NAME.fullmatch(entity.name) and len(entity.name) <= limit:
        return True
    problems.append(
        Problem(
            entity.file,
            entity.line_of("metadata", "name"),
            f"{entity.kind} name {entity.name!r} must be lower-case letters, "
            f"digits, '.', '_' or '-', at most {limit} characters",
        )
    )
    return False


def backstage_changes(files: list[tuple[str, str]]) -> Changes:
    """What importing these catalog files would change; ImportProblems if any is bad."""
    problems: list[Problem] = []
    changes = Changes()
    entities = read_entities(files, problems, changes.notes)
    groups = {e.name: e for e in entities if e.kind == "Group"}
    _check_duplicates(entities, problems)
    departments, teams = _classify_groups(groups, problems, changes.notes)
    parents = _parents(groups)
    team_department = {
        name: _department_of(groups[name], parents, departments, problems) for name in teams
    }
    existing_departments = {d["code"]: d for d in Department.objects.values("code", "name")}
    for name in sorted(departments):
        entity = groups[name]
        _diff(
            "department",
            name,
            existing_departments.get(name),
            {"name": entity.title},
            f"{entity.file}:{entity.line}",
            changes,
        )
    existing_teams = {
        t["code"]: t
        for t in Team.objects.values(
            "code", "name", "is_committee", department_code=F("department__code")
        )
    }
    for name in sorted(teams):
        entity = groups[name]
        annotation = entity.get("metadata", "annotations", COMMITTEE_ANNOTATION)
        wanted: dict[str, Any] = {
            "name": entity.title,
            "department_code": team_department[name],
            "is_committee": str(annotation).lower() in TRUE,
        }
        _diff(
            "team", name, existing_teams.get(name), wanted, f"{entity.file}:{entity.line}", changes
        )
    known_teams = set(teams) | set(existing_teams)
    parts = [e for e in entities if e.kind in {"System", "Component", "API"}]
    existing = {
        c["key"]: c
        for c in Component.objects.values(
            "key",
            "name",
            "kind",
            "description",
            owner_code=F("owner_team__code"),
            system_key=F("system__key"),
        )
    }
    known_parts = {e.name for e in parts} | set(existing)
    # Systems first, so the components that name them can point at them when applied.
    for entity in sorted(parts, key=lambda e: (e.kind != "System", e.name)):
        fields = _component_fields(entity, known_teams, known_parts, problems)
        if fields is not None:
            _diff(
                "component",
                entity.name,
                existing.get(entity.name),
                fields,
                f"{entity.file}:{entity.line}",
                changes,
            )
    if problems:
        raise ImportProblems(problems)
    return changes


def _check_duplicates(entities: list[Entity], problems: list[Problem]) -> None:
    """Groups share one namespace, and systems, components and APIs another (component keys)."""
    seen: dict[tuple[bool, str], Entity] = {}
    for entity in entities:
        slot = (entity.kind == "Group", entity.name)
        if slot in seen:
            first = seen[slot]
            problems.append(
                Problem(
                    entity.file,
                    entity.line,
                    f"{entity.kind} {entity.name} is already defined as "
                    f"{first.kind} at {first.file}:{first.line}",
                )
            )
        else:
            seen[slot] = entity


def _classify_groups(
    groups: dict[str, Entity], problems: list[Problem], notes: list[str]
) -> tuple[set[str], set[str]]:
    departments, teams = set(), set()
    for name, entity in groups.items():
        group_type = str(entity.get("spec", "type") or "").lower()
        if group_type in DEPARTMENT_TYPES:
            if _check_name(entity, 50, problems):
                departments.add(name)
        elif group_type in TEAM_TYPES:
            if _check_name(entity, 50, problems):
                teams.add(name)
        else:
            notes.append(
                f"{entity.file}:{entity.line}: Group {name} of type "
                f"{group_type or '(none)'} is neither a department nor a team; skipped"
            )
    return departments, teams


def _parents(groups: dict[str, Entity]) -> dict[str, str]:
    """Each group's parent, from its `spec.parent` or else a group listing it in
    `spec.children`."""
    parents: dict[str, str] = {}
    for name, entity in groups.items():
        for child in entity.get("spec", "children") or []:
            ref = _parse_ref(child, "group")
            if ref:
                parents.setdefault(ref[1], name)
    for name, entity in groups.items():
        ref = _parse_ref(entity.get("spec", "parent"), "group")
        if ref:
            parents[name] = ref[1]
    return parents


def _department_of(
    team: Entity, parents: dict[str, str], departments: set[str], problems: list[Problem]
) -> str | None:
    """The nearest department up the team's parents (in the files or the database); nested
    teams belong to their parent team's department. A team already in techalign keeps its
    department when the files name no parent."""
    name, visited = team.name, {team.name}
    while (parent := parents.get(name)) is not None and parent not in visited:
        visited.add(parent)
        if parent in departments:
            return parent
        name = parent
    lookups = []
    if name != team.name:
        lookups += [
            Department.objects.filter(code=name).values_list("code", flat=True),
            Team.objects.filter(code=name).values_list("department__code", flat=True),
        ]
    lookups.append(Team.objects.filter(code=team.name).values_list("department__code", flat=True))
    for lookup in lookups:
        if found := lookup.first():
            return found
    problems.append(
        Problem(
            team.file,
            team.line_of("spec", "parent"),
            f"team {team.name} has no department: set spec.parent to a Group of "
            f"type department (or to a team that has one)",
        )
    )
    return None


def _component_fields(
    entity: Entity, teams: set[str], parts: set[str], problems: list[Problem]
) -> dict[str, Any] | None:
    if not _check_name(entity, 100, problems):
        return None
    owner_ref = _parse_ref(entity.get("spec", "owner"), "group")
    owner_line = entity.line_of("spec", "owner")
    if owner_ref is None:
        problems.append(
            Problem(entity.file, owner_line, f"{entity.kind} {entity.name} has no spec.owner")
        )
        return None
    if owner_ref[0] != "group":
        problems.append(
            Problem(
                entity.file,
                owner_line,
                f"spec.owner of {entity.name} must be a Group (a team), "
                f"not {owner_ref[0]}:{owner_ref[1]}",
            )
        )
        return None
    if owner_ref[1] not in teams:
        problems.append(
            Problem(
                entity.file,
                owner_line,
                f"spec.owner {owner_ref[1]} of {entity.name} is not a known team",
            )
        )
        return None
    system = None
    if entity.kind != "System":
        system_ref = _parse_ref(entity.get("spec", "system"), "system")
        system = system_ref[1] if system_ref else None
        if system is not None and system not in parts:
            problems.append(
                Problem(
                    entity.file,
                    entity.line_of("spec", "system"),
                    f"spec.system {system} of {entity.name} is not a known system",
                )
            )
            return None
    if entity.kind == "System":
        kind = Component.Kind.SYSTEM
    elif entity.kind == "API":
        kind = Component.Kind.API
    else:
        kind = COMPONENT_KINDS.get(
            str(entity.get("spec", "type") or "").lower(), Component.Kind.SERVICE
        )
    description = str(entity.get("metadata", "description") or "")
    title = str(entity.get("metadata", "title") or entity.name)
    for value, limit, path in ((description, 5000, "description"), (title, 200, "title")):
        if len(value) > limit:
            problems.append(
                Problem(
                    entity.file,
                    entity.line_of("metadata", path),
                    f"metadata.{path} is longer than {limit} characters",
                )
            )
            return None
    return {
        "name": title,
        "kind": str(kind),
        "description": description,
        "owner_code": owner_ref[1],
        "system_key": system,
    }


# --- CSV of departments, teams, users and roles ----------------------------------------------

CSV_REQUIRED = ("department", "team")
CSV_COLUMNS = (
    "department",
    "department_name",
    "team",
    "team_name",
    "committee",
    "username",
    "display_name",
    "email",
    "roles",
    "language",
    "time_zone",
)
ROLE_SEPARATORS = re.compile(r"[;|\s]+")


def catalog_text(data: bytes, *, file: str) -> str:
    """A catalog file's text: UTF-8, as YAML and Backstage require, within its size limit."""
    return limits.text_of(data, name="catalog_file_bytes", file=file)


def csv_text(data: bytes, *, file: str) -> str:
    """A CSV file's text: UTF-8 (with or without BOM), else GB18030, what Excel writes on
    Chinese Windows; within its size limit."""
    return limits.text_of(data, name="org_csv_bytes", file=file, fallback="gb18030")


def _flag(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    return None


def org_csv_changes(file: str, text: str) -> Changes:
    """What importing this CSV would change; ImportProblems (with lines) if any row is bad."""
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as error:
        raise ImportProblems([Problem(file, 1, f"not valid CSV: {error}")]) from None
    reader.fieldnames = header
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        message = "; ".join(
            part
            for part in (
                f"missing column(s) {', '.join(missing)}" if missing else "",
                f"unknown column(s) {', '.join(unknown)}; known: {', '.join(CSV_COLUMNS)}"
                if unknown
                else "",
            )
            if part
        )
        raise ImportProblems([Problem(file, 1, message)])
    departments: dict[str, tuple[str, int]] = {}
    teams: dict[str, dict[str, Any]] = {}
    users: dict[str, dict[str, Any]] = {}
    grants: dict[tuple[str, str, str], int] = {}
    line = reader.line_num + 1
    for rows, row in enumerate(_rows(file, reader, problems), start=1):
        limits.check_count("org_csv_rows", rows)
        try:  # every cell of the CSV is one line
            check_tree({k: v or "" for k, v in row.items() if k}, field=f"line {line}")
        except Refused as refused:
            problems.append(Problem(file, line, refused.message))
        _read_row(
            file,
            line,
            {k: (v or "").strip() for k, v in row.items() if k},
            departments,
            teams,
            users,
            grants,
            problems,
        )
        line = reader.line_num + 1
    if problems:
        raise ImportProblems(problems)
    return _org_diff(
        file, departments, teams, users, grants, manages_committee="committee" in header
    )


def _rows(
    file: str, reader: csv.DictReader[str], problems: list[Problem]
) -> Iterator[dict[str | Any, str | Any]]:
    """The reader's rows, ending with a problem where the file stops being CSV (a field
    longer than the csv module takes, a NUL)."""
    try:
        yield from reader
    except csv.Error as error:
        problems.append(Problem(file, reader.line_num, f"not valid CSV: {error}"))


def _read_row(
    file: str,
    line: int,
    row: dict[str, str],
    departments: dict[str, tuple[str, int]],
    teams: dict[str, dict[str, Any]],
    users: dict[str, dict[str, Any]],
    grants: dict[tuple[str, str, str], int],
    problems: list[Problem],
) -> None:
    def problem(message: str) -> None:
        problems.append(Problem(file, line, message))

    department, team = row.get("department", "").lower(), row.get("team", "").lower()
    for column, code in (("department", department), ("team", team)):
        if not NAME.fullmatch(code) or len(code) > 50:
            problem(
                f"{column} {code!r} must be a code of lower-case letters, digits, '.', '_' or "
                f"'-' (at most 50)"
            )
            return
    name = row.get("department_name", "")
    known_name, known_line = departments.get(department, ("", line))
    if name and known_name and name != known_name:
        problem(f"department {department} is named {known_name!r} on line {known_line}")
    departments[department] = (known_name or name, known_line if known_name else line)
    committee = _flag(row.get("committee", ""))
    if committee is None:
        problem("committee must be yes or no")
        return
    known = teams.get(team)
    if known is not None and known["department"] != department:
        problem(f"team {team} is in department {known['department']} on line {known['line']}")
        return
    entry = teams.setdefault(
        team, {"department": department, "name": "", "line": line, "committee": False}
    )
    team_name = row.get("team_name", "")
    if team_name and entry["name"] and team_name != entry["name"]:
        problem(f"team {team} is named {entry['name']!r} on line {entry['line']}")
    entry["name"] = entry["name"] or team_name
    entry["committee"] = entry["committee"] or committee
    username = row.get("username", "")
    if not username:
        if row.get("roles"):
            problem("roles need a username")
        return
    if len(username) > 150 or not re.fullmatch(r"[\w.@+-]+", username):
        problem(f"username {username!r} may hold letters, digits and @ . + - _ only")
        return
    person = users.setdefault(username, {"line": line, "lines": {}})
    for column in ("display_name", "email", "language", "time_zone"):
        value = row.get(column, "")
        if value and person.get(column, value) != value:
            problem(
                f"{column} of {username} is {person[column]!r} on line {person['lines'][column]}"
            )
        elif value:
            person[column] = value
            person["lines"].setdefault(column, line)
    if row.get("language") and row["language"] not in {"zh-hans", "en"}:
        problem("language must be zh-hans or en")
    for role in ROLE_SEPARATORS.split(row.get("roles", "")):
        if not role:
            continue
        if role.upper() not in Role.values:
            problem(f"unknown role {role}; roles: {', '.join(Role.values)}")
            continue
        grants.setdefault((username, team, role.upper()), line)


def _org_diff(
    file: str,
    departments: dict[str, tuple[str, int]],
    teams: dict[str, dict[str, Any]],
    users: dict[str, dict[str, Any]],
    grants: dict[tuple[str, str, str], int],
    *,
    manages_committee: bool,
) -> Changes:
    """Changes for the rows read. A column left out (or a blank name) leaves the value in
    techalign as it is; a new object gets its code as its name."""
    changes = Changes()
    existing_departments = {d["code"]: d for d in Department.objects.values("code", "name")}
    for code, (name, line) in sorted(departments.items()):
        existing = existing_departments.get(code)
        wanted: dict[str, Any] = (
            {"name": name or code} if existing is None else ({"name": name} if name else {})
        )
        _diff("department", code, existing, wanted, f"{file}:{line}", changes)
    existing_teams = {
        t["code"]: t
        for t in Team.objects.values(
            "code", "name", "is_committee", department_code=F("department__code")
        )
    }
    for code, entry in sorted(teams.items()):
        wanted = {}
        if entry["name"] or code not in existing_teams:
            wanted["name"] = entry["name"] or code
        wanted["department_code"] = entry["department"]
        if manages_committee or code not in existing_teams:
            wanted["is_committee"] = entry["committee"]
        _diff("team", code, existing_teams.get(code), wanted, f"{file}:{entry['line']}", changes)
    existing_users = {
        u["username"]: u
        for u in User.objects.filter(username__in=users).values(
            "username", "display_name", "email", "language", "time_zone"
        )
    }
    for username, person in sorted(users.items()):
        wanted = {k: v for k, v in person.items() if k not in {"line", "lines"}}
        _diff(
            "user",
            username,
            existing_users.get(username),
            wanted,
            f"{file}:{person['line']}",
            changes,
        )
    held = set(
        Membership.objects.filter(user__username__in=users).values_list(
            "user__username", "team__code", "role"
        )
    )
    for (username, team, role), line in sorted(grants.items()):
        if (username, team, role) in held:
            changes.unchanged += 1
        else:
            changes.changes.append(
                Change("membership", f"{username}@{team}", {"role": role}, None, f"{file}:{line}")
            )
    return changes


# --- applying --------------------------------------------------------------------------------


@transaction.atomic
def apply_changes(*, actor: User | None, changes: Changes, source: str) -> None:
    """Write the changes, in dependency order, each with its audit event.

    `actor` None is the operator at the server's console; a user must be an administrator.
    `source` ("backstage", "csv") is recorded in the audit events.
    """
    if actor is not None and not is_admin(actor):
        raise Refused("org.admin_required", user=str(actor), action="import the organisation")
    order = ["department", "team", "component", "user", "membership"]
    # Components naming a system created in the same run come after it.
    pending = sorted(
        changes.changes,
        key=lambda c: (
            order.index(c.model),
            c.model == "component" and bool(c.fields.get("system_key")),
        ),
    )
    for change in pending:
        target = _WRITERS[change.model](change)
        verb = "created" if change.is_create else "updated"
        record(
            actor=actor,
            action=f"org.{change.model}_{verb}",
            target=target,
            summary={
                "key": change.key,
                "source": source,
                "fields": {k: _show(v) for k, v in change.fields.items()},
            },
        )


def _resolved(fields: dict[str, Any]) -> dict[str, Any]:
    """Model field values for the codes and keys a change names."""
    values = dict(fields)
    if "department_code" in values:
        values["department"] = Department.objects.get(code=values.pop("department_code"))
    if "owner_code" in values:
        values["owner_team"] = Team.objects.get(code=values.pop("owner_code"))
    if "system_key" in values:
        key = values.pop("system_key")
        values["system"] = Component.objects.get(key=key) if key else None
    return values


def _upsert(model: type[M], key_field: str) -> Callable[[Change], M]:
    """The writer of a catalog entry found by its natural key (a code or a key)."""

    def write(change: Change) -> M:
        natural_key: dict[str, Any] = {key_field: change.key}
        entry, created = model._default_manager.update_or_create(
            **natural_key, defaults=_resolved(change.fields)
        )
        if not created and hasattr(entry, "version"):
            # An imported change outdates what an administrator read (the entry's ETag).
            model._default_manager.filter(pk=entry.pk).update(version=F("version") + 1)
        return entry

    return write


def _write_user(change: Change) -> User:
    user = User.objects.filter(username=change.key).first()
    if user is None:
        # No password: people sign in once an administrator sets one (or through SSO).
        user = User(username=change.key, **change.fields)
        user.set_unusable_password()
        user.save()
    else:
        User.objects.filter(pk=user.pk).update(**change.fields, version=F("version") + 1)
    return user


def _write_membership(change: Change) -> Membership:
    username, team = change.key.split("@", 1)
    user = User.objects.get(username=username)
    membership = Membership.objects.create(
        user=user, team=Team.objects.get(code=team), role=change.fields["role"]
    )
    forget_roles(user)
    return membership


_WRITERS = {
    "department": _upsert(Department, "code"),
    "team": _upsert(Team, "code"),
    "component": _upsert(Component, "key"),
    "user": _write_user,
    "membership": _write_membership,
}
