"""``syncer doctor``: is this store ready for syncer, and if not, what to do.

For the store it is given (``--store``, else ``$SYNCER_STORE``, else the ``syncer.yaml`` of the
folder it is given): connect as the other commands do (a token, else the app's client
credentials), read ``shopify/storecheck.py``'s facts in one query, and check each thing a
command needs: the granted scopes against ``scopes.COMMAND_SCOPES`` (discount scopes when the
manifests beside it manage discount codes), locations to stock at, no bulk query already
running (plan, drift and import start one for large stores). Every problem says what to do.
``ready`` is whether plan, drift and import can run, and the commands asked for besides
(``for_commands``: apply).
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from typing import Any

from syncer.engine.connect import connect
from syncer.engine.settings import StoreFlags, one_store
from syncer.errors import UsageError
from syncer.manifest.files import find_manifest_files
from syncer.manifest.schema import DISCOUNTS_KIND
from syncer.shopify.scopes import COMMAND_SCOPES, DISCOUNT_SCOPES, missing_scopes
from syncer.shopify.storecheck import StoreFacts, read_store_facts

#: The commands doctor checks, in the order shown; without ``--for``, the read-only ones.
COMMANDS = ("plan", "drift", "import", "apply")
READ_COMMANDS = ("plan", "drift", "import")
#: Where an app's scopes are changed (a Dev Dashboard app; a legacy custom app in the admin).
SCOPES_FIX = ("add {scopes} to the app's access scopes (Dev Dashboard: the app's Versions, a "
              "new version with the scopes, then release it; the store keeps the old grant "
              "until the app is installed again), or use another app's credentials")


@dataclass(frozen=True, slots=True)
class DoctorRequest:
    """``syncer doctor [PATH]``: ``paths`` give the ``syncer.yaml`` (and manifests) to check
    for; ``for_commands`` the commands that must be ready besides plan, drift and import."""

    paths: tuple[str, ...] = ()
    flags: StoreFlags = StoreFlags()
    for_commands: tuple[str, ...] = ()
    discounts: bool | None = None  # None: whether the manifests manage discount codes


@dataclass(frozen=True, slots=True)
class Check:
    """One finding: ``ok``, what it is, and (when not ok) what to do."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


@dataclass(frozen=True, slots=True)
class CommandReadiness:
    command: str
    needed: tuple[str, ...]
    missing: tuple[str, ...]  # needed scopes not granted (empty: ready, or unknown)
    known: bool  # whether the granted scopes could be read

    @property
    def ready(self) -> bool:
        return self.known and not self.missing


@dataclass(frozen=True, slots=True)
class DoctorResult:
    """What ``syncer doctor`` found; ``ready`` decides its exit code (0 ready, 1 not)."""

    store: str  # as given: a file, an emulator URL or SHOP.myshopify.com
    kind: str  # "file" | "http" | "shopify"
    api_version: str
    served_version: str | None
    auth: str  # how syncer authenticated
    token_expires_in: float | None
    facts: StoreFacts
    commands: tuple[CommandReadiness, ...]
    checks: tuple[Check, ...]
    for_commands: tuple[str, ...]
    config_file: str | None = None

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """The result as ``syncer doctor --format json`` prints it (``version`` 1)."""
        facts = self.facts
        return {
            "version": 1,
            "ready": self.ready,
            "store": self.store,
            "kind": self.kind,
            "config_file": self.config_file,
            "shop": {"name": facts.name, "myshopifyDomain": facts.domain},
            "api_version": {"asked": self.api_version, "answered": self.served_version},
            "rate_limit": dict(facts.throttle),
            "authentication": {"method": self.auth,
                               "token_expires_in_seconds": self.token_expires_in},
            "scopes": list(facts.scopes) if facts.scopes is not None else None,
            "commands": {c.command: {"ready": c.ready, "needs": list(c.needed),
                                     "missing": list(c.missing), "checked":
                                     c.command in self.for_commands}
                         for c in self.commands},
            "locations": facts.locations,
            "bulk_operation_running": (
                dict(zip(("id", "status", "createdAt"), facts.bulk_running, strict=True))
                if facts.bulk_running else None),
            "denied": dict(facts.denied),
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix}
                       for c in self.checks],
        }


def doctor(request: DoctorRequest) -> DoctorResult:
    """Connect to the store and check it (``SyncerError`` when it cannot be reached at all:
    no store given, refused credentials, a store that does not answer)."""
    unknown = [c for c in request.for_commands if c not in COMMANDS]
    if unknown:
        raise UsageError(f"--for {unknown[0]}: doctor checks {', '.join(COMMANDS)}")
    wanted = tuple(dict.fromkeys(READ_COMMANDS + request.for_commands))
    settings = one_store(list(request.paths), request.flags)
    discounts = request.discounts
    if discounts is None:
        discounts = _manage_discounts(settings.paths)
    with closing(connect(settings.store, api_version=settings.api_version,
                             credentials=settings.credentials)) as connection:
        facts = read_store_facts(connection.transport)
        auth, expires = connection.authentication()
        served = connection.served_version()
    commands = tuple(_readiness(command, facts.scopes, discounts) for command in COMMANDS)
    checks = _checks(facts, commands, wanted)
    return DoctorResult(connection.name, connection.kind, settings.api_version, served, auth,
                        expires, facts, commands, checks, wanted, settings.config_file)


def _readiness(command: str, granted: tuple[str, ...] | None,
               discounts: bool) -> CommandReadiness:
    needed = COMMAND_SCOPES[command] + (DISCOUNT_SCOPES[command] if discounts else ())
    if granted is None:
        return CommandReadiness(command, needed, (), known=False)
    return CommandReadiness(command, needed,
                            tuple(missing_scopes(set(granted), command, discounts)), True)


def _checks(facts: StoreFacts, commands: tuple[CommandReadiness, ...],
            wanted: tuple[str, ...]) -> tuple[Check, ...]:
    checks = []
    for readiness in commands:
        if readiness.command not in wanted:
            continue
        if not readiness.known:
            checks.append(Check(
                readiness.command, False,
                "the app's granted scopes could not be read (currentAppInstallation: "
                f"{facts.denied.get('currentAppInstallation', 'no answer')})",
                "check the credentials are the app's own"))
        elif readiness.missing:
            missing = ", ".join(readiness.missing)
            checks.append(Check(readiness.command, False, f"missing scope {missing}",
                                SCOPES_FIX.format(scopes=missing)))
        else:
            checks.append(Check(readiness.command, True,
                                f"scopes {', '.join(readiness.needed)} granted"))
    if facts.locations is None:
        checks.append(Check("locations", False, "cannot read locations (" + facts.denied.get(
            "locationsCount", "no answer") + ")", SCOPES_FIX.format(scopes="read_locations")))
    elif facts.locations == 0:
        checks.append(Check("locations", False, "the store has no locations",
                            "add a location in the Shopify admin (Settings > Locations)"))
    else:
        more = "" if facts.locations_exact else " or more"
        checks.append(Check("locations", True, f"{facts.locations}{more}"))
    if facts.bulk_running is not None:
        gid, status, created = facts.bulk_running
        checks.append(Check(
            "bulk operation", False,
            f"this app's bulk query {gid} is {status.lower()} (created {created}); plan, drift "
            "and import of a large store start one, and an app runs one at a time",
            "wait for it to finish, or cancel it (bulkOperationCancel), then run again"))
    else:
        checks.append(Check("bulk operation", True, "none running"))
    return tuple(checks)


def _manage_discounts(paths: tuple[str, ...]) -> bool:
    """Whether the manifests among ``paths`` (found as every command finds them) declare discount
    codes: a cheap text check for ``kind: DiscountCodes`` (doctor does not validate manifests)."""
    files, _problems, _order = find_manifest_files(paths)
    for file in files:
        try:
            with open(file, encoding="utf-8") as handle:
                if any(line.strip() == f"kind: {DISCOUNTS_KIND}" for line in handle):
                    return True
        except (OSError, UnicodeDecodeError):
            continue
    return False
