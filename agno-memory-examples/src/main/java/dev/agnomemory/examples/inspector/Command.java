package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.storage.MemoryStorage;
import java.io.PrintStream;

/** One inspector command, run against an open store. */
interface Command {

    /** @return what the command accepts, checked before the store is opened */
    CommandSpec spec();

    /** @return whether the command changes the store (the others only read it) */
    default boolean writes() {
        return false;
    }

    /**
     * @param storage the open store
     * @param args the command's checked arguments
     * @param out where the command's result goes
     * @return the exit code
     * @throws InspectorException for a problem to report in one line
     */
    int run(MemoryStorage storage, Arguments args, PrintStream out);
}
