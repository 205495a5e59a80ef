-- messages_page (received_at, id) and messages_verdict_page (verdict,
-- received_at, id) serve every query the two older indexes served, as
-- their prefixes; keeping both pairs cost two index writes per recorded
-- message for nothing.
DROP INDEX messages_received;
DROP INDEX messages_verdict;
