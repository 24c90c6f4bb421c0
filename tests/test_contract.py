"""Tests for the contract checker against GitHub's published REST description and GraphQL schema."""

import copy

import contract
import pytest
from contract import (
    ContractError,
    check_graphql,
    check_rest_request,
    check_rest_response,
    documented_example,
    operation_id,
    rest_operation,
)

COMMENTS = "/repos/acme/cases/issues/12/comments"
ISSUE = "/repos/acme/cases/issues/12"


# --------------------------------------------------------------------------- routing


def test_concrete_path_matches_its_template_and_operation_id():
    op = rest_operation("POST", COMMENTS)
    assert op.template == "/repos/{owner}/{repo}/issues/{issue_number}/comments"
    assert dict(op.path_params) == {"owner": "acme", "repo": "cases", "issue_number": "12"}
    assert operation_id("post", COMMENTS) == "issues/create-comment"


def test_literal_segments_win_over_parameters():
    # `comments` could also be read as an {issue_number}; the literal template must win.
    assert operation_id("GET", "/repos/acme/cases/issues/comments/7") == "issues/get-comment"
    assert operation_id("GET", "/repos/acme/cases/issues/comments") == "issues/list-comments-for-repo"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v3" + COMMENTS,
        "https://ghes.example.org/api/v3" + COMMENTS,
        "https://api.github.com" + COMMENTS,
    ],
)
def test_ghes_prefix_and_full_urls_are_accepted(path):
    assert operation_id("POST", path) == "issues/create-comment"
    assert check_rest_request("POST", path, {}, {"body": "text"}) == []


def test_misspelled_path_is_reported():
    with pytest.raises(ContractError, match="no documented path"):
        rest_operation("POST", "/repos/acme/cases/isues/12/comments")
    assert check_rest_request("POST", "/repos/acme/cases/isues/12/comments", {}, {"body": "x"})


def test_wrong_method_is_reported():
    with pytest.raises(ContractError, match="no PUT operation"):
        rest_operation("PUT", COMMENTS)
    problems = check_rest_request("PUT", COMMENTS, {}, {"body": "x"})
    assert len(problems) == 1 and "PUT" in problems[0]


def test_x_github_metadata_is_exposed():
    meta = contract.x_github("POST", COMMENTS)
    assert meta["enabledForGitHubApps"] is True
    assert (meta["category"], meta["subcategory"]) == ("issues", "comments")


# --------------------------------------------------------------------------- requests


def test_valid_create_comment_request_passes():
    assert check_rest_request("POST", COMMENTS, {}, {"body": "A mediator will be in touch."}) == []


def test_body_field_of_wrong_type_is_reported():
    problems = check_rest_request("POST", COMMENTS, {}, {"body": 42})
    assert len(problems) == 1
    assert "body" in problems[0] and "not of type 'string'" in problems[0]


def test_missing_required_body_field_is_reported():
    problems = check_rest_request("POST", COMMENTS, {}, {})
    assert len(problems) == 1 and "'body' is a required property" in problems[0]


def test_missing_required_body_is_reported():
    problems = check_rest_request("POST", COMMENTS, {}, None)
    assert problems == [
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments (issues/create-comment): "
        "request body is required"
    ]


def test_body_on_an_operation_without_one_is_reported():
    problems = check_rest_request("GET", ISSUE, {}, {"body": "x"})
    assert len(problems) == 1 and "takes no request body" in problems[0]


def test_unknown_enum_value_is_reported():
    problems = check_rest_request("PATCH", ISSUE, {}, {"state": "closed", "state_reason": "finished"})
    assert len(problems) == 1
    assert "state_reason" in problems[0] and "'finished' is not one of" in problems[0]
    assert check_rest_request("PATCH", ISSUE, {}, {"state": "closed", "state_reason": "not_planned"}) == []


def test_nullable_fields_accept_null_and_nothing_else_extra():
    # `milestone` and `state_reason` are `nullable: true` in OpenAPI 3.0 terms.
    assert check_rest_request("PATCH", ISSUE, {}, {"milestone": None, "state_reason": None}) == []
    problems = check_rest_request("PATCH", ISSUE, {}, {"milestone": True})
    assert len(problems) == 1 and "milestone" in problems[0]


def test_undocumented_body_field_is_reported():
    problems = check_rest_request("PATCH", ISSUE, {}, {"stae": "closed"})
    assert len(problems) == 1 and "'stae' is not documented" in problems[0]


def test_non_integer_issue_number_is_reported():
    problems = check_rest_request("POST", "/repos/acme/cases/issues/twelve/comments", {}, {"body": "x"})
    assert len(problems) == 1
    assert "issue_number" in problems[0] and "not of type 'integer'" in problems[0]


def test_query_parameters_are_checked_by_name_type_and_enum():
    issues = "/repos/acme/cases/issues"
    assert (
        check_rest_request("GET", issues, {"state": "all", "per_page": "100", "labels": "stage: intake"})
        == []
    )
    assert check_rest_request("GET", issues, {"per_page": 100}) == []
    unknown = check_rest_request("GET", issues, {"status": "open"})
    assert len(unknown) == 1 and "unknown query parameter 'status'" in unknown[0]
    bad_enum = check_rest_request("GET", issues, {"state": "resolved"})
    assert len(bad_enum) == 1 and "'resolved' is not one of" in bad_enum[0]
    bad_type = check_rest_request("GET", issues, {"per_page": "many"})
    assert len(bad_type) == 1 and "per_page" in bad_type[0]


def test_query_string_left_in_the_url_is_checked_too():
    assert check_rest_request("GET", "/repos/acme/cases/issues?state=closed&per_page=50") == []
    problems = check_rest_request("POST", COMMENTS + "?per_page=5", None, {"body": "x"})
    assert len(problems) == 1 and "unknown query parameter 'per_page'" in problems[0]


# --------------------------------------------------------------------------- responses


def test_documented_example_validates_and_a_mutated_one_does_not():
    example = documented_example("GET", ISSUE, 200)
    assert example["number"] == 1347  # GitHub's own example issue, not one made up here
    assert check_rest_response("GET", ISSUE, 200, example) == []

    without_title = copy.deepcopy(example)
    del without_title["title"]
    problems = check_rest_response("GET", ISSUE, 200, without_title)
    assert len(problems) == 1 and "'title' is a required property" in problems[0]

    wrong_type = copy.deepcopy(example)
    wrong_type["user"]["id"] = "one"
    problems = check_rest_response("GET", ISSUE, 200, wrong_type)
    assert len(problems) == 1 and "user/id" in problems[0]


def test_undocumented_status_is_reported():
    problems = check_rest_response("GET", ISSUE, 418, {})
    assert len(problems) == 1 and "status not documented" in problems[0]


def test_error_response_body_is_checked_against_its_schema():
    not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
    assert check_rest_response("GET", ISSUE, 404, not_found) == []
    assert check_rest_response("GET", ISSUE, 404, {"message": 404})


def test_bodyless_status_must_not_carry_a_body():
    lock = "/repos/acme/cases/issues/12/lock"
    assert check_rest_response("PUT", lock, 204, None) == []
    problems = check_rest_response("PUT", lock, 204, {"locked": True})
    assert len(problems) == 1 and "documents no body" in problems[0]


# --------------------------------------------------------------------------- GraphQL

VALID_MUTATIONS = {
    "minimizeComment": """
        mutation($id: ID!) {
          minimizeComment(input: {subjectId: $id, classifier: OFF_TOPIC}) {
            minimizedComment { isMinimized minimizedReason }
          }
        }""",
    "createDiscussion": """
        mutation($repo: ID!, $category: ID!, $title: String!, $body: String!) {
          createDiscussion(input: {repositoryId: $repo, categoryId: $category, title: $title, body: $body}) {
            discussion { id number url }
          }
        }""",
    "closeDiscussion": """
        mutation($id: ID!) {
          closeDiscussion(input: {discussionId: $id, reason: RESOLVED}) { discussion { closed stateReason } }
        }""",
    "lockLockable": """
        mutation($id: ID!) {
          lockLockable(input: {lockableId: $id, lockReason: RESOLVED}) { lockedRecord { locked } }
        }""",
    "addDiscussionComment": """
        mutation($id: ID!, $body: String!) {
          addDiscussionComment(input: {discussionId: $id, body: $body}) { comment { id url } }
        }""",
    "deleteDiscussion": """
        mutation($id: ID!) { deleteDiscussion(input: {id: $id}) { discussion { id } } }""",
    "updateDiscussion": """
        mutation($id: ID!, $category: ID!) {
          updateDiscussion(input: {discussionId: $id, categoryId: $category}) {
            discussion { category { id } }
          }
        }""",
}

INVALID_MUTATIONS = {
    "minimizeComment": (
        'mutation { minimizeComment(input: {subjectId: "C1", classifier: RUDE}) { clientMutationId } }',
        "RUDE",
    ),
    "createDiscussion": (
        'mutation { createDiscussion(input: {repositoryId: "R", title: "t", body: "b"}) { __typename } }',
        "categoryId",
    ),
    "closeDiscussion": (
        'mutation { closeDiscussion(input: {discussionId: "D", reason: FINISHED}) { clientMutationId } }',
        "FINISHED",
    ),
    "lockLockable": (
        'mutation { lockLockable(input: {lockableId: "D", reason: RESOLVED}) { clientMutationId } }',
        "reason",
    ),
    "addDiscussionComment": (
        'mutation { addDiscussionComment(input: {discussionId: "D", text: "b"}) { clientMutationId } }',
        "text",
    ),
    "deleteDiscussion": (
        'mutation { deleteDiscussion(input: {discussionId: "D"}) { clientMutationId } }',
        "discussionId",
    ),
    "updateDiscussion": (
        'mutation { updateDiscussion(input: {discussionId: "D", categoryId: 7.5}) { clientMutationId } }',
        "7.5",
    ),
}

VARIABLES = {
    "minimizeComment": {"id": "IC_1"},
    "createDiscussion": {"repo": "R_1", "category": "DIC_1", "title": "Poll", "body": "Summary"},
    "closeDiscussion": {"id": "D_1"},
    "lockLockable": {"id": "D_1"},
    "addDiscussionComment": {"id": "D_1", "body": "Poll closed."},
    "deleteDiscussion": {"id": "D_1"},
    "updateDiscussion": {"id": "D_1", "category": "DIC_2"},
}


@pytest.mark.parametrize("name", sorted(VALID_MUTATIONS))
def test_valid_graphql_mutation_passes(name):
    assert check_graphql(VALID_MUTATIONS[name], VARIABLES[name]) == []


@pytest.mark.parametrize("name", sorted(INVALID_MUTATIONS))
def test_invalid_graphql_mutation_is_reported(name):
    query, culprit = INVALID_MUTATIONS[name]
    problems = check_graphql(query)
    assert problems and all(p.startswith("invalid: ") for p in problems)
    assert any(culprit in p for p in problems), problems


def test_enum_passed_through_a_variable_is_coerced_and_checked():
    query = """
        mutation($id: ID!, $why: ReportedContentClassifiers!) {
          minimizeComment(input: {subjectId: $id, classifier: $why}) { clientMutationId }
        }"""
    assert check_graphql(query, {"id": "IC_1", "why": "ABUSE"}) == []
    problems = check_graphql(query, {"id": "IC_1", "why": "RUDE"})
    assert len(problems) == 1 and "RUDE" in problems[0]


def test_variables_of_the_wrong_type_are_reported():
    query = VALID_MUTATIONS["createDiscussion"]
    good = VARIABLES["createDiscussion"]
    assert check_graphql(query, {**good, "title": ["not", "a", "string"]})
    assert check_graphql(query, {**good, "repo": 1.5})
    missing = dict(good)
    del missing["category"]
    problems = check_graphql(query, missing)
    assert len(problems) == 1 and "$category" in problems[0]


def test_variable_not_declared_by_the_operation_is_reported():
    problems = check_graphql(VALID_MUTATIONS["deleteDiscussion"], {"id": "D_1", "reason": "x"})
    assert problems == ["variable $reason is not defined by the operation"]


def test_syntax_error_is_reported():
    problems = check_graphql("mutation { deleteDiscussion(input: {id: ")
    assert len(problems) == 1 and problems[0].startswith("syntax: ")


def test_published_graphql_schema_has_only_vetted_problems():
    # The schema is used as if valid; this keeps that assumption checked on every schema update.
    assert contract.graphql_schema_problems() == []


def test_a_file_path_at_the_end_of_a_template_may_hold_slashes():
    op = contract.rest_operation("PUT", "/repos/acme/cases/contents/.github/workflows/sweep.yml")
    assert op.operation_id == "repos/create-or-update-file-contents"
    assert op.path_params["path"] == ".github/workflows/sweep.yml"
    with pytest.raises(contract.ContractError):
        contract.rest_operation("PUT", "/repos/acme/cases/contentz/.github/workflows/sweep.yml")
