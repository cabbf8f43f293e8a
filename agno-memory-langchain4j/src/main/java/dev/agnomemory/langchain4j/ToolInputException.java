package dev.agnomemory.langchain4j;

/**
 * The model called a memory tool with an argument it cannot use. The message is written for the model (what was
 * wrong and how to call again) and is sent back to it as the tool's error result; the user's call goes on.
 */
final class ToolInputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ToolInputException(String messageForTheModel) {
        super(messageForTheModel, null, false, false);
    }
}
