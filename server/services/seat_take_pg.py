"""PostgreSQL's acquire under the license lock, as one database function
(`take_license_seat`), so the lock is held inside the database only, for one round trip.

Why a function. The license row is the lock of acquire: the limit check reads
`licenses.open_seats`, which is exact only while no other acquire, release or reclaim of
that license runs. Taken from the API (BEGIN; SELECT … FOR UPDATE; the seat statement;
COMMIT) the lock spans three round trips, and between them this process serves other
requests, so every acquire on a license waited for the previous one's event-loop turns.
Here the API sends one statement in autocommit; the statement calls the function, which
locks the row, does the work and returns, and the statement's own commit releases the lock.
Nothing of the API runs while the lock is held.

Why it is as correct as the transaction it replaces. The function is VOLATILE and runs in
READ COMMITTED, where each statement of a volatile function takes a fresh snapshot: the
first one waits for the lock (FOR UPDATE returns the row's latest version), and every later
one sees whatever the previous holder committed before it let go, exactly as the next
statements of the old transaction did. Under the lock it

- re-reads the license (seats, open_seats, expiry): an expiry set meanwhile still refuses;
- renews the machine's live seat if it holds one (parallel acquires from one machine
  queue on the lock, and the second finds the first one's seat);
- else reclaims the license's dead seats (a conditional UPDATE: only still-open seats, so a
  concurrent sweep, which locks the license too, and this never both reclaim one) and
  audits each reclaim in the same statement; after that every open seat is live, so
  open_seats minus the reclaimed is the exact count;
- inserts the seat and its `seat.acquired` event if the count allows, or answers 'full'
  with the counts for the 409.

Everything commits together or not at all. The caller (session live, user enabled, a seat
role) is checked by the calling statement, which calls the function only for a valid
caller and a known, unexpired license (services/seat_leases.py), so a refused caller
writes nothing. The audit events are those services/seats.py writes, same columns and
detail keys (a datetime as Python's isoformat() gives it).

The function is (re)created by server/db.py's schema set-up on every start, so an existing
database gets it (and any newer body) the next time the server starts.
"""

from __future__ import annotations

FUNCTION_NAME = "take_license_seat"

# -> text[]: {outcome, seat id, seats used, seats total}, outcome one of
#    'taken' (a new seat), 'reused' (the machine's live seat), 'full' (409),
#    'expired' or 'gone' (the license expired or vanished meanwhile: the general code answers).
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION take_license_seat(
    p_license_id varchar, p_user_id varchar, p_session_id varchar, p_hardware_id varchar,
    p_device_name varchar, p_kind varchar, p_seat_id varchar, p_now timestamp, p_cutoff timestamp,
    p_at timestamp, p_actor_email varchar, p_client_addr varchar)
RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  lic record;
  held_id varchar;
  reclaimed integer;
  used integer;
BEGIN
  SELECT seats, open_seats, tenant_id, expires_at INTO lic FROM licenses WHERE id = p_license_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN ARRAY['gone', NULL, NULL, NULL];
  END IF;
  IF lic.expires_at IS NOT NULL AND lic.expires_at <= p_now THEN
    RETURN ARRAY['expired', NULL, NULL, NULL];
  END IF;

  SELECT id INTO held_id FROM seats
  WHERE license_id = p_license_id AND user_id = p_user_id AND hardware_id = p_hardware_id
    AND released_at IS NULL AND last_heartbeat_at > p_cutoff
  ORDER BY started_at DESC LIMIT 1;
  IF FOUND THEN
    UPDATE seats SET last_heartbeat_at = p_now, session_id = p_session_id, kind = p_kind,
                     device_name = COALESCE(NULLIF(p_device_name, ''), device_name)
    WHERE id = held_id;
    RETURN ARRAY['reused', held_id, NULL, NULL];
  END IF;

  WITH dead AS (
    UPDATE seats SET released_at = p_now, released_reason = 'expired'
    WHERE license_id = p_license_id AND released_at IS NULL AND last_heartbeat_at <= p_cutoff
    RETURNING id, tenant_id, user_id, license_id, last_heartbeat_at),
  audited AS (
    INSERT INTO audit_events (at, tenant_id, action, target, detail)
    SELECT p_at, dead.tenant_id, 'seat.reclaimed', 'seat:' || dead.id,
           json_build_object('reason', 'expired', 'user_id', dead.user_id, 'license_id', dead.license_id,
                             'last_heartbeat_at',
                             to_char(dead.last_heartbeat_at, 'YYYY-MM-DD"T"HH24:MI:SS')
                             || CASE WHEN extract(microseconds FROM dead.last_heartbeat_at)::bigint % 1000000 = 0
                                     THEN '' ELSE to_char(dead.last_heartbeat_at, '.US') END
                             || '+00:00')
    FROM dead
    RETURNING 1)
  SELECT count(*) INTO reclaimed FROM audited;

  used := lic.open_seats - reclaimed;
  IF used >= lic.seats THEN
    RETURN ARRAY['full', NULL, used::text, lic.seats::text];
  END IF;
  INSERT INTO seats (id, license_id, tenant_id, user_id, session_id, hardware_id, device_name, kind,
                     started_at, last_heartbeat_at)
  VALUES (p_seat_id, p_license_id, lic.tenant_id, p_user_id, p_session_id, p_hardware_id, p_device_name, p_kind,
          p_now, p_now);
  INSERT INTO audit_events (at, tenant_id, actor_user_id, actor_email, action, target, client_addr, detail)
  VALUES (p_at, lic.tenant_id, p_user_id, p_actor_email, 'seat.acquired', 'seat:' || p_seat_id, p_client_addr,
          json_build_object('license_id', p_license_id, 'kind', p_kind, 'device_name', p_device_name));
  RETURN ARRAY['taken', p_seat_id, (used + 1)::text, lic.seats::text];
END $$
"""
