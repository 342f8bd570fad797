package dev.vlm3d.api;

import java.beans.PropertyEditorSupport;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.InitBinder;

/**
 * Ids in paths and parameters must be canonical UUIDs (8-4-4-4-12 hex digits): {@link UUID#fromString} alone also
 * takes {@code 1-1-1-1-1}, so one job would have many URLs. Registered as the binder's editor for UUID because
 * Spring falls back to its lenient default editor when a converter refuses a value.
 */
@ControllerAdvice
class CanonicalIds {

    private static final Pattern CANONICAL =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    @InitBinder
    void strictUuids(WebDataBinder binder) {
        binder.registerCustomEditor(UUID.class, new PropertyEditorSupport() {
            @Override
            public void setAsText(String text) {
                setValue(parse(text));
            }
        });
    }

    static UUID parse(String text) {
        if (text == null || !CANONICAL.matcher(text).matches()) {
            throw new IllegalArgumentException("not a canonical UUID");
        }
        return UUID.fromString(text);
    }
}
