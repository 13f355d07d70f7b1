package org.dumm.rest.internal;

import static org.junit.Assert.assertEquals;

import java.io.InputStream;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

/** openapi.json names exactly the operations ApiServlet (and its LabRoutes and TestRunRoutes) answers, no more and no fewer. */
public class OpenApiSyncTest {

    @Test
    public void documentMatchesTheRoutes() throws Exception {
        JsonNode doc;
        try (InputStream in = ApiServlet.class.getResourceAsStream("/org/dumm/rest/openapi.json")) {
            doc = HttpCall.JSON.readTree(in);
        }
        assertEquals("3.0.3", doc.get("openapi").asText());
        Set<String> documented = new TreeSet<>();
        for (Map.Entry<String, JsonNode> p : doc.get("paths").properties()) {
            String pattern = p.getKey().substring(1).replaceAll("\\{[^}]+}", "*");
            for (Map.Entry<String, JsonNode> op : p.getValue().properties()) {
                if (!op.getKey().equals("parameters")) {
                    documented.add(op.getKey().toUpperCase() + " " + pattern);
                    assertEquals(true, op.getValue().get("responses").has("401"));
                }
            }
        }
        Set<String> served = ApiServlet.ROUTES.stream().map(r -> r.method() + " " + r.pattern())
                .collect(Collectors.toCollection(TreeSet::new));
        LabRoutes.ROUTES.forEach(r -> served.add(r.method() + " " + r.pattern()));
        TestRunRoutes.ROUTES.forEach(r -> served.add(r.method() + " " + r.pattern()));
        assertEquals(served, documented);
    }
}
