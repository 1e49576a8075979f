package io.isthmus.runtime.format;

import java.nio.file.Path;

/** RoPE context scaling as the model files declare it; only linear (position interpolation) is supported. */
final class RopeScaling {
    private RopeScaling() {
    }

    /**
     * The ropeFreqScale for scaling {@code type} ("none"/"default"/null = no scaling) with {@code factor};
     * other types (yarn, llama3, dynamic, ...) are an error naming {@code key} and the file.
     */
    static double freqScale(String type, double factor, Path file, String key) {
        if (type == null || type.equals("none") || type.equals("default")) {
            return 1.0;
        }
        if (!type.equals("linear")) {
            throw new ModelFormatException(file + ": unsupported RoPE scaling " + key + " = '" + type
                    + "' (supported: linear)");
        }
        if (!(factor > 0)) {
            throw new ModelFormatException(file + ": linear RoPE scaling needs a positive factor, got " + factor);
        }
        return 1.0 / factor;
    }
}
