"""The GraphQL schema the stand-in serves: a strict subset of GitHub's published schema (a test checks it)."""

SDL = """
scalar DateTime
scalar URI

interface Node {
  id: ID!
}

interface Actor {
  login: String!
  url: URI!
}

interface Lockable {
  activeLockReason: LockReason
  locked: Boolean!
}

interface Minimizable {
  isMinimized: Boolean!
  minimizedReason: String
  viewerCanMinimize: Boolean!
}

enum LockReason { OFF_TOPIC RESOLVED SPAM TOO_HEATED }
enum DiscussionCloseReason { DUPLICATE OUTDATED RESOLVED }
enum DiscussionStateReason { DUPLICATE OUTDATED REOPENED RESOLVED }
enum ReportedContentClassifiers { ABUSE DUPLICATE OFF_TOPIC OUTDATED RESOLVED SPAM }
enum IssueState { CLOSED OPEN }
enum OrderDirection { ASC DESC }
enum DiscussionOrderField { CREATED_AT UPDATED_AT }
enum DiscussionState { CLOSED OPEN }

input DiscussionOrder {
  direction: OrderDirection!
  field: DiscussionOrderField!
}

type User implements Actor & Node {
  databaseId: Int
  id: ID!
  login: String!
  url: URI!
}

type Bot implements Actor & Node {
  databaseId: Int
  id: ID!
  login: String!
  url: URI!
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

type Repository implements Node {
  databaseId: Int
  discussion(number: Int!): Discussion
  discussionCategories(
    after: String
    before: String
    filterByAssignable: Boolean = false
    first: Int
    last: Int
  ): DiscussionCategoryConnection!
  discussions(
    after: String
    answered: Boolean = null
    before: String
    categoryId: ID = null
    first: Int
    last: Int
    orderBy: DiscussionOrder = {field: UPDATED_AT, direction: DESC}
    states: [DiscussionState!] = []
  ): DiscussionConnection!
  id: ID!
  isPrivate: Boolean!
  issue(number: Int!): Issue
  name: String!
  nameWithOwner: String!
  url: URI!
}

type Organization implements Actor & Node {
  databaseId: Int
  id: ID!
  login: String!
  teams(after: String, first: Int, userLogins: [String!]): TeamConnection!
  url: URI!
}

type Team implements Node {
  databaseId: Int
  id: ID!
  name: String!
  slug: String!
}

type TeamConnection {
  nodes: [Team]
  pageInfo: PageInfo!
  totalCount: Int!
}

type DiscussionCategoryConnection {
  nodes: [DiscussionCategory]
  pageInfo: PageInfo!
  totalCount: Int!
}

type DiscussionConnection {
  nodes: [Discussion]
  pageInfo: PageInfo!
  totalCount: Int!
}

type DiscussionCommentConnection {
  nodes: [DiscussionComment]
  pageInfo: PageInfo!
  totalCount: Int!
}

type DiscussionCategory implements Node {
  description: String
  emoji: String!
  id: ID!
  isAnswerable: Boolean!
  name: String!
  slug: String!
}

type Discussion implements Lockable & Node {
  activeLockReason: LockReason
  author: Actor
  body: String!
  category: DiscussionCategory!
  closed: Boolean!
  closedAt: DateTime
  comments(after: String, before: String, first: Int, last: Int): DiscussionCommentConnection!
  createdAt: DateTime!
  databaseId: Int
  id: ID!
  locked: Boolean!
  number: Int!
  repository: Repository!
  stateReason: DiscussionStateReason
  title: String!
  updatedAt: DateTime!
  url: URI!
}

type DiscussionComment implements Minimizable & Node {
  author: Actor
  body: String!
  createdAt: DateTime!
  databaseId: Int
  discussion: Discussion
  id: ID!
  isMinimized: Boolean!
  minimizedReason: String
  url: URI!
  viewerCanMinimize: Boolean!
}

type PullRequestReviewComment implements Minimizable & Node {
  body: String!
  id: ID!
  isMinimized: Boolean!
  minimizedReason: String
  viewerCanMinimize: Boolean!
}

type PullRequestReview implements Minimizable & Node {
  body: String!
  id: ID!
  isMinimized: Boolean!
  minimizedReason: String
  viewerCanMinimize: Boolean!
}

type IssueComment implements Minimizable & Node {
  author: Actor
  body: String!
  databaseId: Int
  id: ID!
  isMinimized: Boolean!
  minimizedReason: String
  url: URI!
  userContentEdits(after: String, before: String, first: Int, last: Int): UserContentEditConnection
  viewerCanMinimize: Boolean!
}

type UserContentEdit implements Node {
  createdAt: DateTime!
  diff: String
  editedAt: DateTime!
  editor: Actor
  id: ID!
  updatedAt: DateTime!
}

type UserContentEditConnection {
  nodes: [UserContentEdit]
  pageInfo: PageInfo!
  totalCount: Int!
}

type Issue implements Lockable & Node {
  activeLockReason: LockReason
  body: String!
  databaseId: Int
  id: ID!
  locked: Boolean!
  number: Int!
  repository: Repository!
  state: IssueState!
  title: String!
  url: URI!
  userContentEdits(after: String, before: String, first: Int, last: Int): UserContentEditConnection
}

input CreateDiscussionInput {
  body: String!
  categoryId: ID!
  clientMutationId: String
  repositoryId: ID!
  title: String!
}

type CreateDiscussionPayload {
  clientMutationId: String
  discussion: Discussion
}

input AddDiscussionCommentInput {
  body: String!
  clientMutationId: String
  discussionId: ID!
  replyToId: ID
}

type AddDiscussionCommentPayload {
  clientMutationId: String
  comment: DiscussionComment
}

input CloseDiscussionInput {
  clientMutationId: String
  discussionId: ID!
  reason: DiscussionCloseReason = RESOLVED
}

type CloseDiscussionPayload {
  clientMutationId: String
  discussion: Discussion
}

input LockLockableInput {
  clientMutationId: String
  lockReason: LockReason
  lockableId: ID!
}

type LockLockablePayload {
  actor: Actor
  clientMutationId: String
  lockedRecord: Lockable
}

input UpdateDiscussionInput {
  body: String
  categoryId: ID
  clientMutationId: String
  discussionId: ID!
  title: String
}

type UpdateDiscussionPayload {
  clientMutationId: String
  discussion: Discussion
}

input DeleteDiscussionInput {
  clientMutationId: String
  id: ID!
}

input DeleteDiscussionCommentInput {
  clientMutationId: String
  id: ID!
}

type DeleteDiscussionCommentPayload {
  clientMutationId: String
  comment: DiscussionComment
}

type DeleteDiscussionPayload {
  clientMutationId: String
  discussion: Discussion
}

input MinimizeCommentInput {
  classifier: ReportedContentClassifiers!
  clientMutationId: String
  subjectId: ID!
}

type MinimizeCommentPayload {
  clientMutationId: String
  minimizedComment: Minimizable
}

input DeleteIssueInput {
  clientMutationId: String
  issueId: ID!
}

type DeleteIssuePayload {
  clientMutationId: String
  repository: Repository
}

input DeleteIssueCommentInput {
  clientMutationId: String
  id: ID!
}

type DeleteIssueCommentPayload {
  clientMutationId: String
}

input TransferIssueInput {
  clientMutationId: String
  createLabelsIfMissing: Boolean = false
  issueId: ID!
  repositoryId: ID!
}

type TransferIssuePayload {
  clientMutationId: String
  issue: Issue
}

type Query {
  node(id: ID!): Node
  organization(login: String!): Organization
  repository(followRenames: Boolean = true, name: String!, owner: String!): Repository
}

type Mutation {
  addDiscussionComment(input: AddDiscussionCommentInput!): AddDiscussionCommentPayload
  closeDiscussion(input: CloseDiscussionInput!): CloseDiscussionPayload
  createDiscussion(input: CreateDiscussionInput!): CreateDiscussionPayload
  deleteDiscussion(input: DeleteDiscussionInput!): DeleteDiscussionPayload
  deleteDiscussionComment(input: DeleteDiscussionCommentInput!): DeleteDiscussionCommentPayload
  deleteIssue(input: DeleteIssueInput!): DeleteIssuePayload
  deleteIssueComment(input: DeleteIssueCommentInput!): DeleteIssueCommentPayload
  lockLockable(input: LockLockableInput!): LockLockablePayload
  minimizeComment(input: MinimizeCommentInput!): MinimizeCommentPayload
  transferIssue(input: TransferIssueInput!): TransferIssuePayload
  updateDiscussion(input: UpdateDiscussionInput!): UpdateDiscussionPayload
}
"""
