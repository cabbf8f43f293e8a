package dev.agnomemory.examples;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.io.PrintStream;
import java.util.Map;
import java.util.Optional;

/**
 * The OpenAI-compatible chat model of {@link PersistentChat}, from the environment: {@code OPENAI_API_KEY}
 * (required), {@code OPENAI_BASE_URL} (default OpenAI's), {@code OPENAI_MODEL} (default {@value #DEFAULT_MODEL}).
 *
 * @param apiKey the API key
 * @param baseUrl the API's base URL, or empty for OpenAI
 * @param modelName the model
 */
record ModelSettings(String apiKey, Optional<String> baseUrl, String modelName) {

    static final String DEFAULT_MODEL = "gpt-4o-mini";

    /** @return the settings, or empty when {@code OPENAI_API_KEY} is not set */
    static Optional<ModelSettings> fromEnv(Map<String, String> env) {
        Optional<String> key = nonBlank(env.get("OPENAI_API_KEY"));
        return key.map(k -> new ModelSettings(k, nonBlank(env.get("OPENAI_BASE_URL")),
                nonBlank(env.get("OPENAI_MODEL")).orElse(DEFAULT_MODEL)));
    }

    /** Tells what to set when {@code OPENAI_API_KEY} is missing. */
    static void printInstructions(PrintStream out) {
        printInstructions(out, "PersistentChat");
    }

    /** Tells what to set when {@code OPENAI_API_KEY} is missing, naming the example. */
    static void printInstructions(PrintStream out, String program) {
        out.println(("""
                %s needs an OpenAI-compatible chat model, configured by environment variables:
                  OPENAI_API_KEY   the API key (required)
                  OPENAI_BASE_URL  the API's base URL (optional; default OpenAI, https://api.openai.com/v1)
                  OPENAI_MODEL     the model (optional; default %s)
                For OpenAI:
                  export OPENAI_API_KEY=sk-...
                For a local Ollama (any key works, the model must be pulled):
                  export OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_API_KEY=ollama OPENAI_MODEL=llama3.2
                Then start it again. Nothing was created.""").formatted(program, DEFAULT_MODEL));
    }

    /** @return the model; no request is made yet */
    ChatModel createModel() {
        OpenAiChatModel.OpenAiChatModelBuilder builder = OpenAiChatModel.builder().apiKey(apiKey)
                .modelName(modelName);
        baseUrl.ifPresent(builder::baseUrl);
        return builder.build();
    }

    /** @return for example {@code gpt-4o-mini (OpenAI)} */
    String describe() {
        return modelName + " (" + baseUrl.orElse("OpenAI") + ")";
    }

    private static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }
}
