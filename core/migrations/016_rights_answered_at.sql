-- When the server closed a request (completed or refused): the device keeps a closed
-- request, its text and its answer for a period from then, not for ever.
ALTER TABLE rights_requests ADD COLUMN answered_at TEXT;
CREATE INDEX rights_requests_by_answer ON rights_requests (answered_at);
