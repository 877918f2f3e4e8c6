/* The exchange sender thread of `halong serve` (sender.c): delivers the outbox while the server
 * runs; and the feed thread beside it: a commune pulls the hub's feeds. */
#ifndef SERVER_SENDER_H
#define SERVER_SENDER_H

/* Starts both threads on the data directory `home` (each its own archive and store connection).
 * 0, or -1 with the message set when a thread cannot start. */
int sender_start(const char *home);
/* Asks both threads to stop, lets the delivery in flight finish (a feed transfer in flight is
 * aborted, an entry being applied finishes or rolls back), joins them. Safe when not started. */
void sender_stop(void);

#endif
