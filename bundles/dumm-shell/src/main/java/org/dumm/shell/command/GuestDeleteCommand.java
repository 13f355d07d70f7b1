package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dumm", name = "guest-delete", description = "Deletes guests and their private diffs")
public class GuestDeleteCommand extends MeshCommand {

    @Argument(index = 0, name = "names", description = "Guests to delete", multiValued = true)
    @Completion(GuestNameCompleter.class)
    List<String> names;

    @Option(name = "--all", description = "Delete every guest")
    boolean all;

    @Option(name = "--force", aliases = "-f", description = "Kill running guests first")
    boolean force;

    @Override
    public Object execute() {
        names = TrailingOptions.apply(this, names);
        List<String> selected = guestsOrAll(names, all);
        for (String n : selected) {
            mesh.deleteGuest(n, force);
            System.out.println("guest " + n + " deleted");
        }
        return null;
    }
}
