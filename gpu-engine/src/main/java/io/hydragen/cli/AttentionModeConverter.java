package io.hydragen.cli;

import io.hydragen.attention.AttentionMode;
import picocli.CommandLine;

/** {@code --attention hydragen|per-sequence|none}, with the engine's own message for an unknown name. */
final class AttentionModeConverter implements CommandLine.ITypeConverter<AttentionMode> {
    @Override
    public AttentionMode convert(String value) {
        try {
            return AttentionMode.parse(value.strip());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
