-- Sealed values bound to their table, column and row (docs/at-rest.md): every value
-- sealed by migration 11 (version 1, no associated data) is opened and sealed again as
-- version 2 with `table.column` and the row's key as associated data, so a cell copied
-- onto another row or column no longer opens. Same transaction as the version bump.

UPDATE session SET token = seal(unseal(token), 'session.token', id);

UPDATE orders SET
    pickup_label  = seal(unseal(pickup_label), 'orders.pickup_label', id),
    pickup_lat    = seal(unseal(pickup_lat), 'orders.pickup_lat', id),
    pickup_lon    = seal(unseal(pickup_lon), 'orders.pickup_lon', id),
    dropoff_label = seal(unseal(dropoff_label), 'orders.dropoff_label', id),
    stops_json    = seal(unseal(stops_json), 'orders.stops_json', id);

UPDATE outbox SET
    note    = seal(unseal(note), 'outbox.note', idempotency_key),
    payload = seal(unseal(payload), 'outbox.payload', idempotency_key);

UPDATE order_history SET note = seal(unseal(note), 'order_history.note', action_key);

UPDATE order_parties SET
    consignor_name    = seal(unseal(consignor_name), 'order_parties.consignor_name', order_id),
    consignor_phone   = seal(unseal(consignor_phone), 'order_parties.consignor_phone', order_id),
    consignee_name    = seal(unseal(consignee_name), 'order_parties.consignee_name', order_id),
    consignee_phone   = seal(unseal(consignee_phone), 'order_parties.consignee_phone', order_id),
    consignee_address = seal(unseal(consignee_address), 'order_parties.consignee_address', order_id);

UPDATE track_fixes SET
    lat        = seal(unseal(lat), 'track_fixes.lat', order_id || '|' || at),
    lon        = seal(unseal(lon), 'track_fixes.lon', order_id || '|' || at),
    accuracy_m = seal(unseal(accuracy_m), 'track_fixes.accuracy_m', order_id || '|' || at);

UPDATE track_events SET
    lat = seal(unseal(lat), 'track_events.lat', order_id || '|' || kind || '|' || from_at),
    lon = seal(unseal(lon), 'track_events.lon', order_id || '|' || kind || '|' || from_at);

UPDATE proof_fixes SET
    lat        = seal(unseal(lat), 'proof_fixes.lat', sha256),
    lon        = seal(unseal(lon), 'proof_fixes.lon', sha256),
    accuracy_m = seal(unseal(accuracy_m), 'proof_fixes.accuracy_m', sha256);

UPDATE rights_requests SET
    detail = seal(unseal(detail), 'rights_requests.detail', id),
    answer = seal(unseal(answer), 'rights_requests.answer', id);

UPDATE meta SET value = hex(seal(unseal(unhex(value)), 'meta.value', key))
    WHERE key = 'key_check';
