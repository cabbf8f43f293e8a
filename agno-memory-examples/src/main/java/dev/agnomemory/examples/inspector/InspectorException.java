package dev.agnomemory.examples.inspector;

/**
 * A problem the inspector explains in one line and ends with an exit code: a bad command line, a store it cannot
 * open, an unknown session.
 */
class InspectorException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    InspectorException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    /** A problem with what was asked (usage, store file, session): exit code {@value Inspector#EXIT_PROBLEM}. */
    static InspectorException problem(String message) {
        return new InspectorException(message, Inspector.EXIT_PROBLEM);
    }

    /** A bad command line: exit code {@value Inspector#EXIT_PROBLEM}, with a pointer to the usage. */
    static InspectorException usage(String message) {
        return new InspectorException(message + " (run with 'help' for usage)", Inspector.EXIT_PROBLEM);
    }

    /** Something failed while doing what was asked: exit code {@value Inspector#EXIT_FAILED}. */
    static InspectorException failed(String message) {
        return new InspectorException(message, Inspector.EXIT_FAILED);
    }

    int exitCode() {
        return exitCode;
    }
}
