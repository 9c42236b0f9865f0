-- A real-name check waiting for the server: its two images are sealed files in the
-- app-private `identity/` folder, deleted with the row once the server has decided. Only
-- the outcome and its time stay on the device (meta `real_name`), never the images.
CREATE TABLE real_name_uploads (
    verification_id TEXT PRIMARY KEY NOT NULL,
    purpose         TEXT NOT NULL,
    id_card_file    TEXT NOT NULL,
    face_file       TEXT NOT NULL,
    collected_at    TEXT NOT NULL
) STRICT;
