package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.Message;

/**
 * One message of a run: the message itself while it is at hand (a recent write, or a store kept in memory), and
 * the journal record that holds it (message {@code index} of that record), from which it is read otherwise.
 *
 * @param message the message, or null when only its place is known
 * @param record the journal record holding it; null for a store without files
 * @param index which message of the record
 */
record MessageRef(Message message, RecordRef record, int index) {

    /** The same reference without the message, for the index: it keeps places, not text. */
    MessageRef withoutMessage() {
        return message == null ? this : new MessageRef(null, record, index);
    }
}
