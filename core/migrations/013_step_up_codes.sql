-- A rights request carries the step-up code the person entered for it until the server
-- takes it (sealed, bound to the row; cleared once sent or refused). A queued request
-- without one waits for a new code.
ALTER TABLE rights_requests ADD COLUMN step_up_code BLOB;
