"""The CLI's commands through a running server's HTTP API (``edgedeploy --remote URL``).

A server holds its home (the embedded trace store's file lock), so a second process cannot
open it; through the API a CLI shares that installation instead: roll-outs the server drives
can be approved, aborted and rolled back from any shell. The caller is the principal of the
token (``--token``/``EDGEDEPLOY_TOKEN``), never the OS login, and the token goes only into
the ``Authorization`` header: no message, error or output repeats it.

Each function prints what the local command prints with ``--json`` (same keys, same exit
codes); where the API answers in another shape, the answer is converted here. Problems the
server answers are reported like local errors, with the exit code the local path would give.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
import httpx

from edgedeploy.entrypoints.cli.context import CliState, emit_json

# Answers the error table cannot name (Litestar's own errors, unknown titles), by status.
_EXIT_BY_STATUS = {400: 2, 401: 3, 403: 3, 404: 4, 409: 3, 413: 2, 415: 2, 422: 2, 503: 5}
_FINAL_OR_WAITING = ("awaiting_approval", "completed", "rolled_back", "aborted")
_MIN_POLL_S = 0.2
_TIMEOUT_S = 120.0
_REQUIREMENT_TYPES = {".reqif": "application/xml", ".xml": "application/xml",
                      ".reqifz": "application/zip", ".csv": "text/csv",
                      ".yaml": "application/yaml", ".yml": "application/yaml"}


class RemoteProblem(click.ClickException):
    """A problem the server answered, reported as the local command reports its errors."""

    def __init__(self, *, status: int, code: str, title: str, detail: str, exit_code: int,
                 as_json: bool, body: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.title = status, code, title
        # click declares the exit code per class; a problem's depends on its answer.
        self.exit_code = exit_code  # type: ignore[misc]
        self.as_json = as_json
        self.body: dict[str, Any] = body or {}
        """The whole problem, extension members (``gaps``, ``reasons``) included."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Problem JSON on stdout (``--json``), else one line on stderr."""
        if self.as_json:
            emit_json({"type": f"urn:problem:{self.code}", "title": self.title,
                       "status": self.status, "exit_code": self.exit_code,
                       "detail": self.message})
        else:
            click.echo(f"error ({self.code}): {self.message}", err=True)


def exit_code_for(status: int, title: str) -> int:
    """The exit code the local command gives for the error behind a problem.

    The server titles each problem by its row of the error table, so status and title name
    the row; anything else falls back to the status alone.
    """
    from edgedeploy.entrypoints.errors import ERROR_TABLE

    for _, mapping in ERROR_TABLE:
        if mapping.status == status and mapping.title == title:
            return mapping.exit_code
    return _EXIT_BY_STATUS.get(status, 1)


def problem_of(response: httpx.Response, *, as_json: bool) -> RemoteProblem:
    """The problem+json body of an error answer (or what can be said about another body)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    title = str(body.get("title") or response.reason_phrase or "Error")
    code = (str(body.get("type") or "").removeprefix("urn:problem:")
            or f"HTTP_{response.status_code}")
    detail = str(body.get("detail") or title)
    return RemoteProblem(status=response.status_code, code=code, title=title, detail=detail,
                         exit_code=exit_code_for(response.status_code, title), as_json=as_json,
                         body=body)


class ApiClient:
    """An authenticated client of one server's ``/api/v1``."""

    def __init__(self, base_url: str, token: str, *, as_json: bool) -> None:
        self.base_url = base_url
        self.as_json = as_json
        self._http = httpx.Client(base_url=base_url, timeout=_TIMEOUT_S,
                                  headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; an error answer or no answer at all raises :class:`RemoteProblem`."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            # The exception names the URL only; the token lives in a header it does not show.
            raise RemoteProblem(status=503, code="SERVER_UNREACHABLE",
                                title="Backend unavailable",
                                detail=f"the server {self.base_url} did not answer: "
                                       f"{type(exc).__name__}: {exc}",
                                exit_code=5, as_json=self.as_json) from None
        if response.is_error:
            raise problem_of(response, as_json=self.as_json)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON of a successful answer."""
        return self.call(method, path, **kwargs).json()


@contextmanager
def connect(state: CliState, *, as_json: bool) -> Iterator[ApiClient]:
    """A client of ``state.remote`` acting with the invocation's token, closed after.

    Raises:
        click.UsageError: no token was given (exit 2); the OS login means nothing to a server.
    """
    token = (state.token or _settings_token()).strip()
    if not token:
        raise click.UsageError("--remote needs an API token: give --token TOKEN or set "
                               "EDGEDEPLOY_TOKEN (edgedeploy auth token issue creates one)")
    client = ApiClient(state.remote, token, as_json=as_json)
    try:
        yield client
    finally:
        client.close()


def _settings_token() -> str:
    from edgedeploy.entrypoints.settings import load_settings

    return load_settings().identity.token


def _quote(segment: str) -> str:
    from urllib.parse import quote

    return quote(segment, safe="@")


def _print(value: Any, as_json: bool, line: str) -> None:
    if as_json:
        emit_json(value)
    else:
        click.echo(line)


# --- identity -------------------------------------------------------------------------------


def whoami(state: CliState, as_json: bool) -> None:
    """``auth whoami``: the server's view of the token's principal."""
    from edgedeploy.application.identity import token_id_of

    with connect(state, as_json=as_json) as api:
        me = api.json("GET", "/api/v1/auth/whoami")
    presented = (state.token or _settings_token()).strip()
    token_id = token_id_of(presented)
    # The API does not show a token's record: its scope is shown as the roles it acts with
    # (the scope narrowed to the principal's roles); what only the record holds stays null.
    token = None if token_id is None else {
        "token_id": token_id, "principal": me["name"], "scope": me["roles"], "created_at": None,
        "created_by": None, "expires_at": None, "revoked_at": None, "label": None}
    view = {"name": me["name"], "kind": me["authenticated_by"], "roles": me["roles"],
            "unit": me["unit"], "permissions": me["permissions"], "token": token}
    if as_json:
        emit_json(view)
        return
    click.echo(f"{me['name']} ({me['authenticated_by']}) on {state.remote}")
    click.echo(f"roles: {', '.join(me['roles']) or 'none'}")
    click.echo(f"unit: {me['unit'] or '-'}")


# --- traceability ---------------------------------------------------------------------------


def import_requirements(state: CliState, file: Path, strict: bool, as_json: bool) -> None:
    """``trace import``: the file is sent as the request body; all or nothing on the server."""
    media_type = _REQUIREMENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
    with connect(state, as_json=as_json) as api:
        result = api.json("POST", "/api/v1/requirements/import", content=file.read_bytes(),
                          params={"filename": file.name, "strict": str(strict).lower()},
                          headers={"Content-Type": media_type})
    _print(result, as_json,
           f"Imported {file}: {len(result['created'])} created, {len(result['updated'])} "
           f"updated, {result['unchanged']} unchanged, {result['links_added']} relation(s)")
    if not as_json:
        for diag in result["diagnostics"]:
            item = f" [{diag['item']}]" if diag["item"] else ""
            click.echo(f"  {diag['severity']}: {diag['location']}{item}: {diag['message']}")


GATE_BLOCKED = 3


def gate(state: CliState, model: str, as_json: bool) -> None:
    """``trace gate``: the server evaluates the gate and records the decision.

    A blocked gate is answered as a problem that lists the gaps only: the report's score,
    scope and counts stay unknown (null) here.
    """
    with connect(state, as_json=as_json) as api:
        try:
            report = api.json("POST", f"/api/v1/models/{_quote(model)}/gate")
        except RemoteProblem as problem:
            if problem.code != "SAFETY_TRACE_GAP":
                raise
            report = {"model": model, "passed": False, "score": None,
                      "gaps": problem.body.get("gaps") or [],
                      "scope": None, "checks": None, "checks_met": None, "checked_at": None,
                      "audit_sequence": None}
    if as_json:
        emit_json(report)
    elif report["passed"]:
        click.echo(f"PASS {report['model']}: trace complete over {len(report['scope'])} "
                   f"requirement(s) (audit entry {report['audit_sequence']})")
    else:
        click.echo(f"BLOCKED {model}: {len(report['gaps'])} gap(s)")
        for g in report["gaps"]:
            click.echo(f"  - {g['item']} (ASIL {g['asil']}) {g['code']}: {g['message']}")
    if not report["passed"]:
        raise click.exceptions.Exit(GATE_BLOCKED)


def _upload_evidence(api: ApiClient, file: Path) -> str:
    """Store ``file`` on the server as a test artifact's content and return its digest.

    The API stores bytes only as artifact content; the artifact is named by the digest, so
    the same report sent again names the same item.
    """
    data = file.read_bytes()
    digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
    import base64

    stored = api.json("POST", "/api/v1/trace/artifacts", json={
        "id": f"evidence:{digest}", "kind": "test", "title": file.name,
        "content": base64.b64encode(data).decode()})
    if stored["digest"] != digest:
        raise RemoteProblem(status=502, code="EVIDENCE_DIGEST_MISMATCH", title="Bad gateway",
                            detail=f"the server stored {file} as {stored['digest']}, not "
                                   f"{digest}", exit_code=1, as_json=api.as_json)
    return digest


def _local_link(link: dict[str, Any]) -> dict[str, Any]:
    """A link as the local command prints it (the API does not show evidence signatures)."""
    return {"source": link["source"], "relation": link["relation"], "target": link["target"],
            "evidence": [{**e, "signature": None, "key_id": None} for e in link["evidence"]],
            "suspect": link["suspect"]}


def link(state: CliState, source: str, relation: str, target: str, evidence_file: Path | None,
         kind: str | None, verdict: str | None, method: str | None, independent: bool,
         note: str, as_json: bool) -> None:
    """``trace link``: the evidence file is uploaded first, then the link names its digest."""
    from edgedeploy.domain.traceability import Relation

    body: dict[str, Any] = {"source": source, "relation": _relation(relation, Relation),
                            "target": target}
    with connect(state, as_json=as_json) as api:
        if any((kind, verdict, evidence_file, method, independent)):
            if verdict is None:
                raise click.UsageError("evidence needs --verdict (passed, failed or "
                                       "inconclusive)")
            evidence: dict[str, Any] = {"kind": kind or "test-result", "verdict": verdict,
                                        "independent": independent, "note": note}
            if method:
                evidence["method"] = method
            if evidence_file is not None:
                evidence["artifact_digest"] = _upload_evidence(api, evidence_file)
            body["evidence"] = evidence
        result = _local_link(api.json("POST", "/api/v1/trace/links", json=body))
    _print(result, as_json, f"{result['source']} {result['relation']} {result['target']}: "
                            f"{len(result['evidence'])} evidence record(s)"
                            f"{', SUSPECT' if result['suspect'] else ''}")


def review(state: CliState, source: str, relation: str, target: str, independent: bool,
           note: str, as_json: bool) -> None:
    """``trace review``: a passed review recorded as the token's principal."""
    from edgedeploy.domain.traceability import Relation

    with connect(state, as_json=as_json) as api:
        result = _local_link(api.json("POST", "/api/v1/trace/reviews", json={
            "source": source, "relation": _relation(relation, Relation), "target": target,
            "independent": independent, "note": note}))
        reviewer = result["evidence"][-1]["agent"] if result["evidence"] else ""
    _print(result, as_json, f"Reviewed {result['source']} {result['relation']} "
                            f"{result['target']} by {reviewer}"
                            f"{' (independent)' if independent else ''}")


def _relation(text: str, relation: Any) -> str:
    """The relation's canonical value, parsed as the local command parses it."""
    return str(relation.parse(text).value)


def artifact(state: CliState, kind: str, item_id: str, title: str, file: Path | None,
             as_json: bool) -> None:
    """``trace artifact``: the file's bytes go as the artifact's content."""
    import base64

    body: dict[str, Any] = {"id": item_id, "kind": kind, "title": title}
    if file is not None:
        body["content"] = base64.b64encode(file.read_bytes()).decode()
    with connect(state, as_json=as_json) as api:
        stored = api.json("POST", "/api/v1/trace/artifacts", json=body)
        # The API names neither attributes nor the recorder; the recorder is the caller.
        recorder = api.json("GET", "/api/v1/auth/whoami")["name"]
    result = {"id": stored["id"], "kind": stored["kind"], "title": stored["title"],
              "digest": stored["digest"], "attributes": [], "recorded_by": recorder}
    _print(result, as_json, f"recorded {result['kind']} {result['id']}"
                            f"{' ' + result['digest'] if result['digest'] else ''}"
                            f" by {recorder}")


# --- model registry -------------------------------------------------------------------------


def _local_model(model: dict[str, Any]) -> dict[str, Any]:
    """A model version as the local command prints it (its reference as name and version)."""
    name, _, version = str(model["ref"]).partition("@")
    return {**model, "ref": {"name": name, "version": version}}


def register_model(state: CliState, model: str, file: Path, as_json: bool) -> None:
    """``models register``: the file is the request body."""
    with connect(state, as_json=as_json) as api:
        stored = api.json("POST", f"/api/v1/models/{_quote(model)}", content=file.read_bytes(),
                          params={"filename": file.name},
                          headers={"Content-Type": "application/octet-stream"})
    _print(_local_model(stored), as_json,
           f"registered {stored['ref']} {stored['digest']} ({stored['size_bytes']} bytes)")


def list_models(state: CliState, name: str | None, as_json: bool) -> None:
    """``models list``."""
    params = {"name": name} if name else {}
    with connect(state, as_json=as_json) as api:
        found = api.json("GET", "/api/v1/models", params=params)["models"]
    if as_json:
        emit_json([_local_model(m) for m in found])
        return
    for m in found:
        click.echo(f"{m['ref']}  {m['digest']}  {m['size_bytes']} bytes  "
                   f"{m['registered_at']}  {m['registered_by']}")


# --- roll-outs ------------------------------------------------------------------------------


def _show_rollout(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(view)
        return
    click.echo(f"{view['rollout_id']} {view['model']} on {view['fleet']} (ASIL {view['asil']}, "
               f"baseline {view['baseline']}): {view['phase']}, stage {view['current_stage']} "
               f"{view['stage_state']}, {view['canary_devices']}/{view['fleet_size']} devices, "
               f"epoch {view['epoch']}, {view['decisions']} decisions")
    if view["reason"]:
        click.echo(f"  reason: {view['reason']}")
    for stage in view["stages"]:
        click.echo(f"  {stage['name']:>5} {stage['state']}"
                   + ("  (approval required)" if stage["approval_required"] else ""))


def list_rollouts(state: CliState, fleet: str | None, phase: str | None,
                  as_json: bool) -> None:
    """``rollout list``."""
    params = {key: value for key, value in (("fleet", fleet), ("phase", phase)) if value}
    with connect(state, as_json=as_json) as api:
        found = api.json("GET", "/api/v1/rollouts", params=params)["rollouts"]
    if as_json:
        emit_json(found)
        return
    for view in found:
        click.echo(f"{view['rollout_id']}  {view['model']}  {view['fleet']}  {view['phase']}  "
                   f"{view['current_stage']} {view['stage_state']}")


def rollout_status(state: CliState, rollout_id: str, as_json: bool) -> None:
    """``rollout status``."""
    with connect(state, as_json=as_json) as api:
        view = api.json("GET", f"/api/v1/rollouts/{_quote(rollout_id)}")
    _show_rollout(view, as_json)


def rollout_action(state: CliState, action: str, rollout_id: str, field: str, text: str,
                   fleet_file: str | None, as_json: bool) -> None:
    """``rollout approve|abort|rollback``: the server commands its fleet under its lock."""
    if fleet_file is not None:
        raise click.UsageError("--fleet names a local FLEET.yaml; against a server the server "
                               "commands the roll-out's fleet: leave --fleet out")
    with connect(state, as_json=as_json) as api:
        view = api.json("POST", f"/api/v1/rollouts/{_quote(rollout_id)}/{action}",
                        json={field: text})
    _show_rollout(view, as_json)


def deploy(state: CliState, model: str, fleet_file: str, baseline: str | None, wait: bool,
           interval: float, max_ticks: int, as_json: bool) -> None:
    """``deploy``: the fleet description is read here and sent inline; the server drives.

    With ``--wait`` the roll-out is followed until it ends or awaits an approval (at most
    ``max_ticks`` polls, ``interval`` seconds apart).
    """
    description = _fleet_description(Path(fleet_file))
    description.setdefault("name", Path(fleet_file).stem)
    body: dict[str, Any] = {"fleet": description}
    if baseline is not None:
        body["baseline"] = baseline
    with connect(state, as_json=as_json) as api:
        started = api.json("POST", f"/api/v1/deploy/{_quote(model)}", json=body)
        status_path = f"/api/v1/rollouts/{_quote(started['rollout_id'])}"
        view = api.json("GET", status_path)
        if not as_json:
            _show_rollout(view, as_json)
        polls = 0
        while wait and view["phase"] not in _FINAL_OR_WAITING and polls < max_ticks:
            time.sleep(max(interval, _MIN_POLL_S))
            view = api.json("GET", status_path)
            polls += 1
    _show_rollout(view, as_json)
    if not as_json and view["phase"] == "awaiting_approval":
        click.echo(f"stage {view['current_stage']} awaits a recorded approval: "
                   f"edgedeploy --remote {state.remote} rollout approve {view['rollout_id']}")


def _fleet_description(path: Path) -> dict[str, Any]:
    """FLEET.yaml as data (JSON is YAML too); an unreadable file is a usage error."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.BadParameter(f"{path}: {exc.strerror or exc}",
                                 param_hint="'--fleet'") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{path} is not a YAML fleet description: {exc}",
                                 param_hint="'--fleet'") from None
    if not isinstance(data, dict):
        raise click.BadParameter(f"{path} does not describe a fleet (a mapping)",
                                 param_hint="'--fleet'")
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain


__all__ = [
    "ApiClient", "RemoteProblem", "artifact", "connect", "deploy", "exit_code_for", "gate",
    "import_requirements", "link", "list_models", "list_rollouts", "problem_of",
    "register_model", "review", "rollout_action", "rollout_status", "whoami",
]
