/**
 * Every email the app has queued or sent, one row each, as a SQL table expression with the
 * columns of the former outbox (`id`, `kind`, `to`, `subject`, `text`, `html`): messages still in
 * the queue (pending or running: their bodies whole) and those the mail catcher kept (whole too).
 * Sent messages leave the queue's rows with their tokens blanked, so tests read them here.
 *
 * @example
 * db.prepare(`SELECT "text" FROM ${EMAILS} WHERE "kind" = ? AND "to" = ? ORDER BY "id" DESC LIMIT 1`).all(kind, to)
 */
export const EMAILS = `(
  SELECT "jobId" AS "id", "tag" AS "kind", json_extract("to", '$[0]') AS "to", "subject", "text", "html" FROM "_koya_emails"
  UNION ALL
  SELECT j."id", json_extract(j."payload", '$.tag'), json_extract(j."payload", '$.to[0]'), json_extract(j."payload", '$.subject'), json_extract(j."payload", '$.text'), json_extract(j."payload", '$.html')
  FROM "_koya_jobs" j
  WHERE j."kind" = 'email' AND j."status" IN ('pending', 'running') AND NOT EXISTS (SELECT 1 FROM "_koya_emails" e WHERE e."jobId" = j."id")
)`
