-- The alert check after an ingest asks for the sources a run added to one
-- domain (domain = ? AND first_report BETWEEN ? AND ?). With an index on
-- first_report alone the planner took the primary key's domain prefix and
-- read every source the domain ever had; this index answers the question
-- itself. It replaces the old one (nothing else reads first_report), so an
-- ingest maintains no more indexes than before.
DROP INDEX posture_sources_first_report;
CREATE INDEX posture_sources_first_report ON posture_sources (domain, first_report);
