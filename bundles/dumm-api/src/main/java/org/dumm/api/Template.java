package org.dumm.api;

import java.util.List;

/**
 * A template (scenario): a layer per guest that records changes while it is loaded.
 *
 * @param name   template name
 * @param guests guests that have a layer in it
 * @param loaded true when it is the loaded template
 */
public record Template(String name, List<String> guests, boolean loaded) {
    public Template {
        guests = List.copyOf(guests);
    }
}
