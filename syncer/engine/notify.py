"""``--notify URL``: a small JSON message after ``plan``, ``drift`` and ``apply`` (issue 25).

The body says what happened (``event``), to which store (its address, ``myshopifyDomain`` and
name), the counts and units, the exit code, and the CI run's link when the environment names one
(GitHub Actions, GitLab CI); its ``text`` field reads as a Slack message, so a Slack incoming
webhook shows it as it is. It never holds a token or a secret, and the URL (a webhook URL is a
secret of its own) is never printed: a failure names the host only.

A notification is best effort: a few attempts with a timeout each, and a failure is a warning
(the ``syncer.notify`` logger, shown even with ``--quiet``) that never changes the exit code.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from syncer.errors import UsageError, quoted
from syncer.plan.changes import Plan

log = logging.getLogger(__name__)

#: Attempts per URL, seconds of timeout per attempt, seconds between attempts.
ATTEMPTS, TIMEOUT, BACKOFF = 3, 5.0, 0.5
#: The environment variable that adds a URL, as ``--notify`` does.
NOTIFY_ENV = "SYNCER_NOTIFY"

Post = Callable[[str, bytes], int]


def check_urls(urls: Sequence[str], where: str = f"--notify (or ${NOTIFY_ENV})") -> tuple[str, ...]:
    """The URLs, each ``http(s)://HOST...``; ``UsageError`` names a bad one by its host only."""
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"{where} {quoted(_where(url))}: give an "
                             "http:// or https:// URL (a Slack incoming webhook, say)")
    return tuple(urls)


def run_link(env: Mapping[str, str]) -> str | None:
    """The CI run's page: GitHub Actions' run, GitLab CI's job; None elsewhere."""
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return env.get("CI_JOB_URL") or None


def plan_message(event: str, plan: Plan | None, store: str, exit_code: int,
                 env: Mapping[str, str], error: str | None = None) -> dict[str, Any]:
    """The body for a plan or drift of one store (``plan`` None: it failed with ``error``)."""
    origin = plan.origin if plan is not None else None
    body: dict[str, Any] = {
        "event": event, "store": store,
        "shop": origin.shop if origin else None,
        "shop_name": origin.shop_name if origin else None,
        "exit_code": exit_code, "run": run_link(env),
    }
    if plan is not None:
        s = plan.summary
        body["counts"] = {"activate": s.to_activate, "adjust": s.to_adjust,
                          "deactivate": s.to_deactivate, "discounts": len(plan.discounts),
                          "unsafe": len(plan.findings), "errors": len(plan.errors)}
        body["units"] = {"added": s.units_added, "removed": s.units_removed}
        value = plan.value
        if value.currencies:  # known only for items with a cost
            data = value.to_dict()
            body["value"] = {"added": data["added"], "removed": data["removed"],
                             "uncosted_units": value.uncosted_added + value.uncosted_removed,
                             "text": value.text()}
    if error:
        body["error"] = error
    body["text"] = _text(body)
    return body


def apply_message(summary: Mapping[str, Any], store: str, shop: str | None,
                  shop_name: str | None, exit_code: int, env: Mapping[str, str]) -> dict[str, Any]:
    """The body for an apply (``summary``: the apply report's counts)."""
    body = {"event": "apply", "store": store, "shop": shop, "shop_name": shop_name,
            "exit_code": exit_code, "run": run_link(env), "counts": dict(summary)}
    body["text"] = _text(body)
    return body


def _text(body: Mapping[str, Any]) -> str:
    who = body.get("shop_name") or body.get("shop") or body["store"]
    counts = body.get("counts") or {}
    if body["event"] == "apply":
        what = ", ".join(f"{v:,} {k}" for k, v in counts.items() if isinstance(v, int) and v)
    else:
        what = (f"{counts.get('activate', 0):,} to activate, {counts.get('adjust', 0):,} to "
                f"adjust, {counts.get('deactivate', 0):,} to deactivate") if counts else ""
        units = body.get("units") or {}
        if units:
            what += f" (+{units['added']:,}/-{units['removed']:,} units)"
        if body.get("value"):
            what += f", at cost {body['value']['text']}"
        if counts.get("unsafe"):
            what += f", {counts['unsafe']:,} unsafe"
    text = f"syncer {body['event']} on {who}: {what or body.get('error') or 'done'}"
    text += f" (exit {body['exit_code']})"
    return text + (f" <{body['run']}|run>" if body.get("run") else "")


def send(urls: Sequence[str], body: Mapping[str, Any], post: Post | None = None,
         sleep: Callable[[float], None] = time.sleep) -> int:
    """POST ``body`` to each URL (a few attempts each); how many took it. Failures are
    warnings naming the host, never the URL."""
    data = json.dumps(body, sort_keys=True).encode("utf-8")
    post = post or _post
    delivered = 0
    for url in urls:
        problem = _deliver(url, data, post, sleep)
        if problem is None:
            delivered += 1
        else:
            log.warning("Warning: the %s notification to %s failed (%s); the run's result "
                        "is unchanged", body.get("event"), _where(url), problem)
    return delivered


def _deliver(url: str, data: bytes, post: Post, sleep: Callable[[float], None]) -> str | None:
    """None once the receiver took it (2xx), else what went wrong the last time."""
    problem = "no answer"
    for attempt in range(1, ATTEMPTS + 1):
        try:
            status = post(url, data)
        except (requests.RequestException, OSError) as exc:
            problem = type(exc).__name__
        else:
            if 200 <= status < 300:
                return None
            problem = f"HTTP {status}"
            if 400 <= status < 500 and status != 429:
                return problem  # the receiver refuses this body: sending it again won't help
        if attempt < ATTEMPTS:
            sleep(BACKOFF * attempt)
    return problem


def _post(url: str, data: bytes) -> int:
    response = requests.post(url, data=data, timeout=TIMEOUT,
                             headers={"Content-Type": "application/json"})
    return response.status_code


def _where(url: str) -> str:
    """``https://hooks.slack.com/...``: the host only (a webhook's path is its secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/..." if parts.hostname else "the URL given"


def notify_urls(given: Sequence[str], env: Mapping[str, str],
                variables: Sequence[str] = ()) -> tuple[str, ...]:
    """The URLs to tell, checked: ``--notify``, ``$SYNCER_NOTIFY`` (space-separated), and those
    in the environment ``variables`` a ``syncer.yaml``'s ``notify`` names."""
    urls = check_urls(tuple(dict.fromkeys((*given, *env.get(NOTIFY_ENV, "").split()))))
    return tuple(dict.fromkeys((*urls, *named_urls(variables, env))))


def named_urls(variables: Sequence[str], env: Mapping[str, str]) -> tuple[str, ...]:
    """The URLs the environment ``variables`` hold, checked; an unset one is a warning (a CI
    job without that secret still runs)."""
    urls: list[str] = []
    for name in variables:
        value = env.get(name, "").strip()
        if not value:
            log.warning(f"Warning: syncer.yaml's notify names {name}, which is not set: nobody "
                        "is told through it")
        urls += check_urls(value.split(), f"${name} (syncer.yaml's notify)")
    return tuple(dict.fromkeys(urls))


def fleet_urls(given: Sequence[str], env: Mapping[str, str],
               stores: Sequence[Any]) -> dict[str, tuple[str, ...]]:
    """The URLs to tell of each store folder (``Settings``), by name: ``--notify``,
    ``$SYNCER_NOTIFY`` and its ``syncer.yaml``'s ``notify``; checked before anything runs."""
    return {s.name: notify_urls(given, env, s.notify) for s in stores}


def notify_fleet(urls: Mapping[str, Sequence[str]], event: str, outcomes: Sequence[Any],
                 env: Mapping[str, str]) -> None:
    """One message per store folder of a plan or drift (``StoreOutcome``s), to its ``urls``
    (``fleet_urls``)."""
    for outcome in outcomes:
        store_urls = urls.get(outcome.settings.name, ())
        if not store_urls:
            continue
        plan = outcome.result.plan if outcome.result is not None else None
        code = outcome.exit_code(True, event == "drift")
        send(store_urls, plan_message(event, plan, str(outcome.settings.store), code, env,
                                      None if outcome.error is None else str(outcome.error)))
