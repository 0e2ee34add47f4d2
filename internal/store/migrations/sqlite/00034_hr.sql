-- HR applications (internal/apps/hr), Alliance Auth's hrapplications:
-- hr_forms one application form per corporation (corporation_id UNIQUE,
-- as Alliance Auth's one form per corp), with the corporation's name as
-- the directory gave it when the form was made; hr_questions its
-- questions in order, choices one per line ('' : a free text answer);
-- hr_applications an account's application to a form (status pending,
-- approved or rejected; at most one pending per form and account);
-- hr_answers the answer to each question; reviewer_id the recruiter who
-- claimed the application (only they, or a superuser, decide), with their
-- main's name kept for the page; hr_comments the recruiters' comments,
-- which the applicant never sees.
-- +goose Up
CREATE TABLE hr_forms (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    corporation_id   INTEGER NOT NULL UNIQUE,
    corporation_name TEXT NOT NULL,
    description      TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL
);

CREATE TABLE hr_questions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    form_id   INTEGER NOT NULL REFERENCES hr_forms (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    title     TEXT NOT NULL,
    help_text TEXT NOT NULL,
    choices   TEXT NOT NULL
);
CREATE INDEX hr_questions_form ON hr_questions (form_id, position);

CREATE TABLE hr_applications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    form_id    INTEGER NOT NULL REFERENCES hr_forms (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reviewer_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    reviewer_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP
);
CREATE UNIQUE INDEX hr_applications_one_pending ON hr_applications (form_id, account_id) WHERE status = 'pending';
CREATE INDEX hr_applications_account ON hr_applications (account_id);
CREATE INDEX hr_applications_form ON hr_applications (form_id, status, id);

CREATE TABLE hr_answers (
    application_id INTEGER NOT NULL REFERENCES hr_applications (id) ON DELETE CASCADE,
    question_id    INTEGER NOT NULL REFERENCES hr_questions (id) ON DELETE CASCADE,
    answer         TEXT NOT NULL,
    PRIMARY KEY (application_id, question_id)
);

CREATE TABLE hr_comments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES hr_applications (id) ON DELETE CASCADE,
    author_id      INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    author_name    TEXT NOT NULL,
    text           TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX hr_comments_application ON hr_comments (application_id, id);

-- +goose Down
DROP TABLE hr_comments;
DROP TABLE hr_answers;
DROP TABLE hr_applications;
DROP TABLE hr_questions;
DROP TABLE hr_forms;
