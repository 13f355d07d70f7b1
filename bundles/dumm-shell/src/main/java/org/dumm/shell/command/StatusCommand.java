package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.dumm.api.GuestState;
import org.dumm.api.MeshStatus;

@Service
@Command(scope = "dumm", name = "status", description = "Summary of the mesh")
public class StatusCommand extends MeshCommand {


    @Argument(index = 0, name = "options", description = "Options may also follow the arguments", multiValued = true)
    List<String> trailing;
    @Option(name = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public Object execute() {
        TrailingOptions.applyAll(this, trailing);
        MeshStatus s = mesh.status();
        if (json) {
            System.out.println(Views.json(s));
            return null;
        }
        int total = s.guestsByState().values().stream().mapToInt(Integer::intValue).sum();
        StringBuilder states = new StringBuilder();
        for (GuestState st : GuestState.values()) {
            Integer n = s.guestsByState().get(st);
            if (n != null) {
                states.append(states.length() == 0 ? "" : ", ").append(n).append(' ').append(st.name().toLowerCase());
            }
        }
        System.out.println("Working dir : " + s.workDir());
        System.out.println("Guests      : " + total + (total == 0 ? "" : " (" + states + ")"));
        System.out.println("Bridges     : " + s.bridges());
        System.out.println("Interfaces  : " + s.interfaces());
        System.out.println("Template    : " + (s.loadedTemplate() == null ? "-" : s.loadedTemplate() + " (loaded)"));
        System.out.println("Backends    : " + (s.backends().isEmpty() ? "none" : String.join(", ", s.backends())));
        return null;
    }
}
