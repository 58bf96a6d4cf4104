// Package mail owns the sync summary email: rendering a Summary into a
// subject, a plain-text and an HTML body (Render), and delivering it over SMTP
// as one multipart/alternative message (Sender.Send).
//
// It has its own types rather than the store's so that the email's content is
// decided by the activity that fills a Summary, and this package has no
// dependency on PostgreSQL.
//
// Delivery reports failures as *SendError so that the caller can honour "at
// most one email per run": Permanent says a retry cannot help (5xx replies,
// invalid addresses, header injection), MaybeDelivered says the connection was
// lost after the message's final dot was sent, so the server may have accepted
// it and a retry could send a duplicate. Message IDs are stable per run and
// recipient (Sender.MessageID), so a duplicate that slips through is
// recognisable.
package mail
