/* The exchange sender thread of `halong serve` (sender.c): delivers the outbox while the server
 * runs. */
#ifndef HL_SERVER_SENDER_H
#define HL_SERVER_SENDER_H

/* Starts the thread on the data directory `home` (its own archive and store connection).
 * 0, or -1 with the message set when the thread cannot start. */
int hl_sender_start(const char *home);
/* Asks the thread to stop, lets the delivery in flight finish, joins it. Safe when not
 * started. */
void hl_sender_stop(void);

#endif
