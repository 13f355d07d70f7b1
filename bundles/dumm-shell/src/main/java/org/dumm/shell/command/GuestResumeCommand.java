package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dumm", name = "guest-resume", description = "Thaws a paused guest")
public class GuestResumeCommand extends MeshCommand {

    @Argument(index = 0, name = "name", required = true)
    @Completion(GuestNameCompleter.class)
    String name;

    @Override
    public Object execute() {
        System.out.println("guest " + mesh.resumeGuest(name).name() + " resumed");
        return null;
    }
}
