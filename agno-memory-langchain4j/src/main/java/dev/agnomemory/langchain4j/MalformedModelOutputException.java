package dev.agnomemory.langchain4j;

/**
 * A model's answer could not be used: not JSON, not of the asked shape, or with values that break the rules,
 * even after one repair attempt. Nothing was stored from it.
 */
public class MalformedModelOutputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was wrong with the answer
     */
    public MalformedModelOutputException(String message) {
        super(message);
    }
}
