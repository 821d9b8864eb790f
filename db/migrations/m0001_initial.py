"""Migration 1: the whole data model of DESIGN §4 (frozen SQL; never edit after release)."""

from __future__ import annotations

from typing import Any

NAME = "initial schema"

SQL = """
CREATE TABLE "schema_version" ("version" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" TEXT NOT NULL);
CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, "username" TEXT NOT NULL, "display_name" TEXT NOT NULL, "role" TEXT NOT NULL, "active" INTEGER NOT NULL, "disabled_at" TEXT, "created_at" TEXT NOT NULL, "created_by_id" INTEGER, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER, "unit_id" INTEGER, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("unit_id") REFERENCES "unit" ("id"));
CREATE UNIQUE INDEX "user_username" ON "user" ("username");
CREATE INDEX "user_created_by_id" ON "user" ("created_by_id");
CREATE INDEX "user_updated_by_id" ON "user" ("updated_by_id");
CREATE INDEX "user_unit_id" ON "user" ("unit_id");
CREATE TABLE "setting" ("key" TEXT NOT NULL PRIMARY KEY, "value" TEXT NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"));
CREATE INDEX "setting_updated_by_id" ON "setting" ("updated_by_id");
CREATE TABLE "unit" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "code" TEXT NOT NULL, "name" TEXT NOT NULL, "police_type" TEXT NOT NULL, "parent_id" INTEGER, "active" INTEGER NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("parent_id") REFERENCES "unit" ("id"));
CREATE INDEX "unit_created_by_id" ON "unit" ("created_by_id");
CREATE INDEX "unit_updated_by_id" ON "unit" ("updated_by_id");
CREATE UNIQUE INDEX "unit_code" ON "unit" ("code");
CREATE INDEX "unit_parent_id" ON "unit" ("parent_id");
CREATE TABLE "training_record" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "date" TEXT NOT NULL, "title" TEXT NOT NULL, "hours" REAL NOT NULL, "provider" TEXT NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("user_id") REFERENCES "user" ("id"));
CREATE INDEX "training_record_created_by_id" ON "training_record" ("created_by_id");
CREATE INDEX "training_record_updated_by_id" ON "training_record" ("updated_by_id");
CREATE INDEX "training_record_user_id" ON "training_record" ("user_id");
CREATE TABLE "person" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "voided_at" TEXT, "voided_by_id" INTEGER, "void_reason" TEXT, "kind" TEXT NOT NULL, "badge_no" TEXT, "name" TEXT NOT NULL, "name_pinyin" TEXT NOT NULL, "name_initials" TEXT NOT NULL, "gender" TEXT, "birth_date" TEXT, "unit_id" INTEGER, "police_type" TEXT, "post" TEXT NOT NULL, "hire_date" TEXT, "phone" TEXT, "consent_on" TEXT, "archived_at" TEXT, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("voided_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("unit_id") REFERENCES "unit" ("id"));
CREATE INDEX "person_created_by_id" ON "person" ("created_by_id");
CREATE INDEX "person_updated_by_id" ON "person" ("updated_by_id");
CREATE INDEX "person_voided_by_id" ON "person" ("voided_by_id");
CREATE UNIQUE INDEX "person_badge_no" ON "person" ("badge_no");
CREATE INDEX "person_unit_id" ON "person" ("unit_id");
CREATE INDEX "person_name" ON "person" ("name");
CREATE INDEX "person_name_pinyin" ON "person" ("name_pinyin");
CREATE INDEX "person_name_initials" ON "person" ("name_initials");
CREATE INDEX "person_unit_id_kind" ON "person" ("unit_id", "kind");
CREATE TABLE "family_link" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "person_id" INTEGER NOT NULL, "officer_id" INTEGER NOT NULL, "relation" TEXT NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("person_id") REFERENCES "person" ("id"), FOREIGN KEY ("officer_id") REFERENCES "person" ("id"));
CREATE INDEX "family_link_created_by_id" ON "family_link" ("created_by_id");
CREATE INDEX "family_link_updated_by_id" ON "family_link" ("updated_by_id");
CREATE INDEX "family_link_person_id" ON "family_link" ("person_id");
CREATE INDEX "family_link_officer_id" ON "family_link" ("officer_id");
CREATE UNIQUE INDEX "family_link_person_id_officer_id" ON "family_link" ("person_id", "officer_id");
CREATE TABLE "incident" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "voided_at" TEXT, "voided_by_id" INTEGER, "void_reason" TEXT, "kind" TEXT NOT NULL, "title" TEXT NOT NULL, "occurred_at" TEXT NOT NULL, "reported_at" TEXT NOT NULL, "location" TEXT, "severity" TEXT NOT NULL, "status" TEXT NOT NULL, "summary" TEXT NOT NULL, "unit_id" INTEGER, "closed_at" TEXT, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("voided_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("unit_id") REFERENCES "unit" ("id"));
CREATE INDEX "incident_created_by_id" ON "incident" ("created_by_id");
CREATE INDEX "incident_updated_by_id" ON "incident" ("updated_by_id");
CREATE INDEX "incident_voided_by_id" ON "incident" ("voided_by_id");
CREATE INDEX "incident_unit_id" ON "incident" ("unit_id");
CREATE TABLE "counseling_session" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "voided_at" TEXT, "voided_by_id" INTEGER, "void_reason" TEXT, "person_id" INTEGER, "counselor_id" INTEGER NOT NULL, "started_at" TEXT NOT NULL, "duration_min" INTEGER NOT NULL, "channel" TEXT NOT NULL, "kind" TEXT NOT NULL, "note" TEXT NOT NULL, "risk" TEXT NOT NULL, "intervention" TEXT NOT NULL, "referral" TEXT NOT NULL, "follow_up_on" TEXT, "follow_up_closed_at" TEXT, "follow_up_closed_by_id" INTEGER, "incident_id" INTEGER, "sealed" INTEGER NOT NULL, "locked_at" TEXT, "caller_label" TEXT, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("voided_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("person_id") REFERENCES "person" ("id"), FOREIGN KEY ("counselor_id") REFERENCES "user" ("id"), FOREIGN KEY ("follow_up_closed_by_id") REFERENCES "counseling_session" ("id"), FOREIGN KEY ("incident_id") REFERENCES "incident" ("id"));
CREATE INDEX "counseling_session_created_by_id" ON "counseling_session" ("created_by_id");
CREATE INDEX "counseling_session_updated_by_id" ON "counseling_session" ("updated_by_id");
CREATE INDEX "counseling_session_voided_by_id" ON "counseling_session" ("voided_by_id");
CREATE INDEX "counseling_session_person_id" ON "counseling_session" ("person_id");
CREATE INDEX "counseling_session_counselor_id" ON "counseling_session" ("counselor_id");
CREATE INDEX "counseling_session_follow_up_closed_by_id" ON "counseling_session" ("follow_up_closed_by_id");
CREATE INDEX "counseling_session_incident_id" ON "counseling_session" ("incident_id");
CREATE INDEX "counseling_session_person_id_started_at" ON "counseling_session" ("person_id", "started_at");
CREATE INDEX "counseling_session_started_at" ON "counseling_session" ("started_at");
CREATE INDEX "counseling_session_follow_up_on" ON "counseling_session" ("follow_up_on");
CREATE INDEX "counseling_session_counselor_id_started_at" ON "counseling_session" ("counselor_id", "started_at");
CREATE TABLE "session_topic" ("session_id" INTEGER NOT NULL, "topic" TEXT NOT NULL, PRIMARY KEY ("session_id", "topic"), FOREIGN KEY ("session_id") REFERENCES "counseling_session" ("id") ON DELETE CASCADE);
CREATE INDEX "session_topic_session_id" ON "session_topic" ("session_id");
CREATE TABLE "session_addendum" ("id" INTEGER NOT NULL PRIMARY KEY, "session_id" INTEGER NOT NULL, "text" TEXT NOT NULL, "by_id" INTEGER NOT NULL, "at" TEXT NOT NULL, FOREIGN KEY ("session_id") REFERENCES "counseling_session" ("id"), FOREIGN KEY ("by_id") REFERENCES "user" ("id"));
CREATE INDEX "session_addendum_session_id" ON "session_addendum" ("session_id");
CREATE INDEX "session_addendum_by_id" ON "session_addendum" ("by_id");
CREATE TABLE "census" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "name" TEXT NOT NULL, "starts_on" TEXT NOT NULL, "ends_on" TEXT NOT NULL, "instruments" TEXT NOT NULL, "status" TEXT NOT NULL, "closed_at" TEXT, "frozen_figures" TEXT, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"));
CREATE INDEX "census_created_by_id" ON "census" ("created_by_id");
CREATE INDEX "census_updated_by_id" ON "census" ("updated_by_id");
CREATE TABLE "census_unit" ("census_id" INTEGER NOT NULL, "unit_id" INTEGER NOT NULL, PRIMARY KEY ("census_id", "unit_id"), FOREIGN KEY ("census_id") REFERENCES "census" ("id") ON DELETE CASCADE, FOREIGN KEY ("unit_id") REFERENCES "unit" ("id"));
CREATE INDEX "census_unit_census_id" ON "census_unit" ("census_id");
CREATE INDEX "census_unit_unit_id" ON "census_unit" ("unit_id");
CREATE TABLE "assessment" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "voided_at" TEXT, "voided_by_id" INTEGER, "void_reason" TEXT, "person_id" INTEGER NOT NULL, "instrument_code" TEXT NOT NULL, "instrument_version" TEXT NOT NULL, "administered_on" TEXT NOT NULL, "responses" TEXT NOT NULL, "total" REAL, "subscales" TEXT NOT NULL, "band" TEXT, "flags" TEXT NOT NULL, "positive" INTEGER, "complete" INTEGER NOT NULL, "census_id" INTEGER, "source" TEXT NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("voided_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("person_id") REFERENCES "person" ("id"), FOREIGN KEY ("census_id") REFERENCES "census" ("id"));
CREATE INDEX "assessment_created_by_id" ON "assessment" ("created_by_id");
CREATE INDEX "assessment_updated_by_id" ON "assessment" ("updated_by_id");
CREATE INDEX "assessment_voided_by_id" ON "assessment" ("voided_by_id");
CREATE INDEX "assessment_person_id" ON "assessment" ("person_id");
CREATE INDEX "assessment_census_id" ON "assessment" ("census_id");
CREATE INDEX "assessment_person_id_instrument_code_administered_on" ON "assessment" ("person_id", "instrument_code", "administered_on");
CREATE TABLE "tier_state" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "person_id" INTEGER NOT NULL, "tier" TEXT NOT NULL, "since" TEXT NOT NULL, "review_due" TEXT, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("person_id") REFERENCES "person" ("id"));
CREATE INDEX "tier_state_created_by_id" ON "tier_state" ("created_by_id");
CREATE INDEX "tier_state_updated_by_id" ON "tier_state" ("updated_by_id");
CREATE UNIQUE INDEX "tier_state_person_id" ON "tier_state" ("person_id");
CREATE TABLE "tier_change" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "from_tier" TEXT, "to_tier" TEXT NOT NULL, "reason" TEXT NOT NULL, "evidence" TEXT NOT NULL, "suggested" INTEGER NOT NULL, "by_id" INTEGER NOT NULL, "at" TEXT NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id"), FOREIGN KEY ("by_id") REFERENCES "user" ("id"));
CREATE INDEX "tier_change_person_id" ON "tier_change" ("person_id");
CREATE INDEX "tier_change_by_id" ON "tier_change" ("by_id");
CREATE TABLE "tier_suggestion" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "tier" TEXT NOT NULL, "rule" TEXT NOT NULL, "evidence" TEXT NOT NULL, "status" TEXT NOT NULL, "created_at" TEXT NOT NULL, "resolved_at" TEXT, "resolved_by_id" INTEGER, "change_id" INTEGER, FOREIGN KEY ("person_id") REFERENCES "person" ("id"), FOREIGN KEY ("resolved_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("change_id") REFERENCES "tier_change" ("id"));
CREATE INDEX "tier_suggestion_person_id" ON "tier_suggestion" ("person_id");
CREATE INDEX "tier_suggestion_resolved_by_id" ON "tier_suggestion" ("resolved_by_id");
CREATE INDEX "tier_suggestion_change_id" ON "tier_suggestion" ("change_id");
CREATE TABLE "incident_exposure" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "incident_id" INTEGER NOT NULL, "person_id" INTEGER NOT NULL, "role" TEXT NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("incident_id") REFERENCES "incident" ("id"), FOREIGN KEY ("person_id") REFERENCES "person" ("id"));
CREATE INDEX "incident_exposure_created_by_id" ON "incident_exposure" ("created_by_id");
CREATE INDEX "incident_exposure_updated_by_id" ON "incident_exposure" ("updated_by_id");
CREATE INDEX "incident_exposure_incident_id" ON "incident_exposure" ("incident_id");
CREATE INDEX "incident_exposure_person_id" ON "incident_exposure" ("person_id");
CREATE UNIQUE INDEX "incident_exposure_incident_id_person_id" ON "incident_exposure" ("incident_id", "person_id");
CREATE TABLE "incident_step" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "incident_id" INTEGER NOT NULL, "person_id" INTEGER, "step" TEXT NOT NULL, "due_at" TEXT NOT NULL, "done_at" TEXT, "waived_reason" TEXT, "form" TEXT, "by_id" INTEGER, "note" TEXT NOT NULL, "session_id" INTEGER, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("incident_id") REFERENCES "incident" ("id"), FOREIGN KEY ("person_id") REFERENCES "person" ("id"), FOREIGN KEY ("by_id") REFERENCES "user" ("id"), FOREIGN KEY ("session_id") REFERENCES "counseling_session" ("id"));
CREATE INDEX "incident_step_created_by_id" ON "incident_step" ("created_by_id");
CREATE INDEX "incident_step_updated_by_id" ON "incident_step" ("updated_by_id");
CREATE INDEX "incident_step_incident_id" ON "incident_step" ("incident_id");
CREATE INDEX "incident_step_person_id" ON "incident_step" ("person_id");
CREATE INDEX "incident_step_by_id" ON "incident_step" ("by_id");
CREATE INDEX "incident_step_session_id" ON "incident_step" ("session_id");
CREATE INDEX "incident_step_done_at_due_at" ON "incident_step" ("done_at", "due_at");
CREATE TABLE "firearm_restriction" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "person_id" INTEGER NOT NULL, "status" TEXT NOT NULL, "reason_code" TEXT NOT NULL, "recommended_by_id" INTEGER NOT NULL, "recommended_at" TEXT NOT NULL, "decided_by_name" TEXT, "decided_at" TEXT, "recorded_by_id" INTEGER, "review_on" TEXT, "ended_at" TEXT, "note" TEXT NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("person_id") REFERENCES "person" ("id"), FOREIGN KEY ("recommended_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("recorded_by_id") REFERENCES "user" ("id"));
CREATE INDEX "firearm_restriction_created_by_id" ON "firearm_restriction" ("created_by_id");
CREATE INDEX "firearm_restriction_updated_by_id" ON "firearm_restriction" ("updated_by_id");
CREATE INDEX "firearm_restriction_person_id" ON "firearm_restriction" ("person_id");
CREATE INDEX "firearm_restriction_recommended_by_id" ON "firearm_restriction" ("recommended_by_id");
CREATE INDEX "firearm_restriction_recorded_by_id" ON "firearm_restriction" ("recorded_by_id");
CREATE TABLE "interest_group" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "name" TEXT NOT NULL, "lead" TEXT NOT NULL, "members" INTEGER NOT NULL, "active" INTEGER NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"));
CREATE INDEX "interest_group_created_by_id" ON "interest_group" ("created_by_id");
CREATE INDEX "interest_group_updated_by_id" ON "interest_group" ("updated_by_id");
CREATE UNIQUE INDEX "interest_group_name" ON "interest_group" ("name");
CREATE TABLE "activity" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "voided_at" TEXT, "voided_by_id" INTEGER, "void_reason" TEXT, "kind" TEXT NOT NULL, "title" TEXT NOT NULL, "date" TEXT NOT NULL, "unit_id" INTEGER, "group_id" INTEGER, "participants" INTEGER NOT NULL, "hours" REAL NOT NULL, "note" TEXT NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("voided_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("unit_id") REFERENCES "unit" ("id"), FOREIGN KEY ("group_id") REFERENCES "interest_group" ("id"));
CREATE INDEX "activity_created_by_id" ON "activity" ("created_by_id");
CREATE INDEX "activity_updated_by_id" ON "activity" ("updated_by_id");
CREATE INDEX "activity_voided_by_id" ON "activity" ("voided_by_id");
CREATE INDEX "activity_unit_id" ON "activity" ("unit_id");
CREATE INDEX "activity_group_id" ON "activity" ("group_id");
CREATE TABLE "activity_counselor" ("activity_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, PRIMARY KEY ("activity_id", "user_id"), FOREIGN KEY ("activity_id") REFERENCES "activity" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id"));
CREATE INDEX "activity_counselor_activity_id" ON "activity_counselor" ("activity_id");
CREATE INDEX "activity_counselor_user_id" ON "activity_counselor" ("user_id");
CREATE TABLE "submission" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, "updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "period_kind" TEXT NOT NULL, "period_start" TEXT NOT NULL, "scope" TEXT NOT NULL, "version" INTEGER NOT NULL, "status" TEXT NOT NULL, "content" TEXT, "narrative" TEXT NOT NULL, "suppression_k" INTEGER NOT NULL, "content_sha256" TEXT, "audit_head" TEXT, "finalized_by_id" INTEGER, "finalized_at" TEXT, "package_name" TEXT, "replaces_id" INTEGER, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("finalized_by_id") REFERENCES "user" ("id"), FOREIGN KEY ("replaces_id") REFERENCES "submission" ("id"));
CREATE INDEX "submission_created_by_id" ON "submission" ("created_by_id");
CREATE INDEX "submission_updated_by_id" ON "submission" ("updated_by_id");
CREATE INDEX "submission_finalized_by_id" ON "submission" ("finalized_by_id");
CREATE INDEX "submission_replaces_id" ON "submission" ("replaces_id");
CREATE UNIQUE INDEX "submission_period_kind_period_start_scope_version" ON "submission" ("period_kind", "period_start", "scope", "version");
CREATE TABLE "audit_event" ("seq" INTEGER NOT NULL PRIMARY KEY, "at" TEXT NOT NULL, "user" TEXT NOT NULL, "action" TEXT NOT NULL, "entity" TEXT NOT NULL, "entity_id" TEXT NOT NULL, "detail" TEXT NOT NULL, "prev_hash" TEXT NOT NULL, "hash" TEXT NOT NULL);
CREATE TABLE "signing_key" ("id" INTEGER NOT NULL PRIMARY KEY, "private_key" BLOB NOT NULL, "public_key" BLOB NOT NULL, "fingerprint" TEXT NOT NULL, "created_at" TEXT NOT NULL, "active" INTEGER NOT NULL);
CREATE UNIQUE INDEX "signing_key_fingerprint" ON "signing_key" ("fingerprint");
"""


def up(conn: Any) -> None:
    """Create every table and index of schema version 1 (inside the runner's transaction)."""
    for statement in SQL.split(";\n"):
        if statement.strip():
            conn.execute(statement)
