package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;
import java.util.Arrays;

/**
 * The embedding vector of one {@link UserMemory}, as computed by one embedding model. Stored beside the memory
 * so it is not recomputed when the process restarts, and deleted with it.
 *
 * @param userId the memory's user, not blank
 * @param memoryId the memory's id, not blank
 * @param model which embedding model made the vector (a vector of another model is recomputed), not blank
 * @param memoryText the memory text the vector was computed from (a changed memory is re-embedded), not null
 * @param vector the vector, not empty; copied in and out
 */
public record MemoryEmbedding(String userId, String memoryId, String model, String memoryText, float[] vector) {

    /** Validates the components and copies {@code vector}. */
    public MemoryEmbedding {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        Require.notBlank(model, "model");
        Require.notNull(memoryText, "memoryText");
        Require.notNull(vector, "vector");
        if (vector.length == 0) {
            throw new IllegalArgumentException("vector must not be empty");
        }
        vector = vector.clone();
    }

    /** @return a copy of the vector */
    @Override
    public float[] vector() {
        return vector.clone();
    }

    /** @return whether this vector was made by {@code model} from {@code memory}'s current text */
    public boolean isFor(UserMemory memory, String model) {
        return this.model.equals(model) && memoryText.equals(memory.memory());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MemoryEmbedding e && userId.equals(e.userId) && memoryId.equals(e.memoryId)
                && model.equals(e.model) && memoryText.equals(e.memoryText) && Arrays.equals(vector, e.vector);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * userId.hashCode() + memoryId.hashCode()) + Arrays.hashCode(vector);
    }

    @Override
    public String toString() {
        return "MemoryEmbedding[userId=" + userId + ", memoryId=" + memoryId + ", model=" + model + ", dimensions="
                + vector.length + "]";
    }
}
