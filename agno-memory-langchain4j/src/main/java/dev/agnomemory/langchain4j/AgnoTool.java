package dev.agnomemory.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.service.tool.AiServiceTool;

/**
 * One of the tools the memory offers the model ({@code get_chat_history}, {@code update_user_memory}, ...). Each
 * reads or changes only the session or user of the call it runs in ({@link InvocationContext#chatMemoryId()}).
 * {@link #asAiServiceTool()} wraps it for {@code AiServices.tools(List)}, with the rules of {@link ToolRunner}.
 */
interface AgnoTool {

    /** @return the name, description and parameters the model sees */
    ToolSpecification specification();

    /**
     * Runs the tool.
     *
     * @param arguments the model's arguments, parsed
     * @param context the AI service call the tool runs in
     * @return the answer to the model
     * @throws ToolInputException when an argument is unusable; its message is sent to the model
     */
    String run(ToolArguments arguments, InvocationContext context);

    /** @return this tool for {@code AiServices.tools(List)} */
    default AiServiceTool asAiServiceTool() {
        return AiServiceTool.builder().toolSpecification(specification()).toolExecutor(new ToolRunner(this)).build();
    }
}
