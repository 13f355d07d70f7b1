package org.dumm.shell.command;

import java.nio.file.Path;
import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.dumm.api.DummException;
import org.dumm.test.RunOptions;
import org.dumm.test.RunReport;
import org.dumm.test.ScenarioRunner;

@Service
@Command(scope = "dumm", name = "test-run", description = "Runs scenario directories (strongSwan's format) on the running guests")
public class TestRunCommand implements Action {

    @Reference
    ScenarioRunner runner;

    @Option(name = "--junit", description = "Write a JUnit XML report to FILE")
    @Completion(FileCompleter.class)
    String junit;

    @Option(name = "--html", description = "Write an HTML report into directory DIR")
    @Completion(FileCompleter.class)
    String html;

    @Option(name = "--prefix", description = "Guest name = PREFIX + the scenario's host name (default none)")
    String prefix;

    @Option(name = "--verbose", description = "Print every command, its output and verdict")
    boolean verbose;

    @Option(name = "--stop-on-fail", description = "Stop after the first scenario that failed")
    boolean stopOnFail;

    @Option(name = "--no-ipsec-check", description = "Skip the check that no IPsec SA/policy is left on IPSECHOSTS")
    boolean noIpsecCheck;

    @Argument(index = 0, name = "path", description = "Scenario directory or directory of them", required = true, multiValued = true)
    @Completion(FileCompleter.class)
    List<String> paths;

    @Override
    public Object execute() {
        RunReport report = runner.run(paths.stream().map(Path::of).toList(),
                new RunOptions(prefix, verbose, stopOnFail, !noIpsecCheck), System.out::println);
        if (junit != null) {
            runner.writeJUnit(report, Path.of(junit));
            System.out.println("JUnit report: " + junit);
        }
        if (html != null) {
            runner.writeHtml(report, Path.of(html));
            System.out.println("HTML report: " + Path.of(html, "index.html"));
        }
        if (report.failed() > 0) {
            throw new DummException(DummException.Reason.INVALID_STATE, report.failed() + " scenario(s) failed");
        }
        return null;
    }
}
