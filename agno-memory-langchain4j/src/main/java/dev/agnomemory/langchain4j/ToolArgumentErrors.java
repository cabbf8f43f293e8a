package dev.agnomemory.langchain4j;

import dev.langchain4j.service.tool.ToolArgumentsErrorHandler;
import dev.langchain4j.service.tool.ToolErrorHandlerResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when the model calls one of the application's tools with arguments that cannot be read (not JSON,
 * a word where a number belongs). LangChain4j 1.19's default fails the user's whole call; {@link #answerToModel()}
 * answers the model with a short tool error instead, so it can correct itself and the call goes on. (The memory's
 * own tools check their arguments themselves and answer the same way.)
 */
public final class ToolArgumentErrors {

    private static final Logger log = LoggerFactory.getLogger(ToolArgumentErrors.class);

    private ToolArgumentErrors() {
    }

    /**
     * A handler for {@code AiServices.builder(...).toolArgumentsErrorHandler(...)} that sends the problem back to
     * the model as the tool's (error) result: that the arguments are not a JSON object, or LangChain4j's one-line
     * reason (which argument, which type); never a parser's internals. {@link AgnoChatMemoryProvider#attachTo}
     * registers it unless told not to. Logged at DEBUG, in one line.
     *
     * @return the handler
     */
    public static ToolArgumentsErrorHandler answerToModel() {
        return (error, context) -> {
            String tool = context.toolExecutionRequest().name();
            String problem = reason(error);
            log.debug("The model called tool {} with unreadable arguments {}: {}", tool,
                    ToolArguments.shorten(String.valueOf(context.toolExecutionRequest().arguments())), problem);
            return ToolErrorHandlerResult.text("Error: the arguments for tool " + tool + " could not be read ("
                    + problem + "). Call the tool again with a JSON object whose values match its parameters.");
        };
    }

    /** A JSON parser's message names its internals and source position; the model needs only the gist. */
    private static String reason(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t.getClass().getName().startsWith("com.fasterxml.jackson.")) {
                return "they are not valid JSON";
            }
        }
        String message = error.getMessage();
        if (message == null || message.isBlank()) {
            return error.getClass().getSimpleName();
        }
        int newline = message.indexOf('\n');
        return ToolArguments.shorten(newline < 0 ? message : message.substring(0, newline));
    }
}
