import Foundation

/// Why the project's nginx files could not be turned into a bench instance's config.
public enum NginxConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A rewrite did not match exactly once (the shipped config changed shape).
    case rewrite(file: String, pattern: String, matches: Int)
    /// A file could not be read or written.
    case io(String)

    public var description: String {
        switch self {
        case .rewrite(let file, let pattern, let matches):
            return "nginx/\(file): expected exactly one match of \(pattern), found \(matches)"
        case .io(let message): return message
        }
    }
}

/// Renders the project's `nginx/` files for a self-contained instance under one directory, with the
/// same rewrites as Tests/EndToEnd/nginx_harness.py (listen port, upstream address, include paths,
/// pid/log/temp paths, `user`), each required to match exactly once.
public enum NginxConfig {
    /// The rewritten `nginx.conf` text.
    public static func renderMain(_ text: String, directory: String, nginxDir: String, listenPort: Int,
                                  isRoot: Bool) throws(NginxConfigError) -> String {
        var conf = text
        conf = try replaceOnce(#"^([ \t]*)listen\s+(?:[0-9.]+:)?8081\s*;"#, "listen 127.0.0.1:\(listenPort);", conf, "nginx.conf")
        conf = try replaceOnce(#"^([ \t]*)include\s+upstream\.conf\s*;"#, "include \(directory)/upstream.conf;", conf, "nginx.conf")
        conf = try replaceOnce(#"^([ \t]*)include\s+spark-relay\.conf\s*;"#, "include \(nginxDir)/spark-relay.conf;", conf, "nginx.conf")
        conf = try replaceOnce(#"^([ \t]*)pid\s+[^;]+;"#, "pid \(directory)/nginx.pid;", conf, "nginx.conf")
        conf = try replaceOnce(#"^([ \t]*)error_log\s+[^\s;]+"#, "error_log \(directory)/error.log", conf, "nginx.conf")
        conf = try replaceOnce(#"^([ \t]*)access_log\s+(?!off\b)[^\s;]+"#, "access_log \(directory)/access.log", conf, "nginx.conf")
        conf = try replaceOnce(#"^([ \t]*)user\s+[^;]+;"#, isRoot ? "user root;" : "# user: nginx runs as the current user",
                               conf, "nginx.conf")
        let temps = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
            .map { "\n    \($0)_temp_path \(directory)/tmp/\($0);" }.joined()
        conf = try replaceOnce(#"^http\s*\{"#, "http {" + temps, conf, "nginx.conf", keepGroup: false)
        return conf
    }

    /// The rewritten `upstream.conf` text pointing at `host:port`.
    public static func renderUpstream(_ text: String, host: String, port: Int) throws(NginxConfigError) -> String {
        try replaceOnce(#"server\s+127\.0\.0\.1:8080\b"#, "server \(host):\(port)", text, "upstream.conf", keepGroup: false)
    }

    /// Writes DIR/nginx.conf and DIR/upstream.conf (and DIR/tmp); returns the nginx.conf path.
    public static func write(directory: String, nginxDir: String, relayPort: Int, listenPort: Int) throws(NginxConfigError) -> String {
        func read(_ name: String) throws(NginxConfigError) -> String {
            guard let data = FileManager.default.contents(atPath: "\(nginxDir)/\(name)") else {
                throw .io("cannot read \(nginxDir)/\(name)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        let upstream = try renderUpstream(try read("upstream.conf"), host: "127.0.0.1", port: relayPort)
        let main = try renderMain(try read("nginx.conf"), directory: directory, nginxDir: nginxDir, listenPort: listenPort,
                                  isRoot: geteuid() == 0)
        do {
            try FileManager.default.createDirectory(atPath: "\(directory)/tmp", withIntermediateDirectories: true)
            try upstream.write(toFile: "\(directory)/upstream.conf", atomically: true, encoding: .utf8)
            try main.write(toFile: "\(directory)/nginx.conf", atomically: true, encoding: .utf8)
        } catch {
            throw .io("cannot write the nginx config under \(directory): \(error)")
        }
        return "\(directory)/nginx.conf"
    }

    private static func replaceOnce(_ pattern: String, _ replacement: String, _ text: String, _ file: String,
                                    keepGroup: Bool = true) throws(NginxConfigError) -> String {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]) else {
            throw .rewrite(file: file, pattern: pattern, matches: -1)
        }
        let range = NSRange(text.startIndex..., in: text)
        let matches = regex.matches(in: text, range: range)
        guard matches.count == 1, let match = matches.first, let whole = Range(match.range, in: text) else {
            throw .rewrite(file: file, pattern: pattern, matches: matches.count)
        }
        var prefix = ""
        if keepGroup, match.numberOfRanges > 1, let group = Range(match.range(at: 1), in: text) {
            prefix = String(text[group])
        }
        return text.replacingCharacters(in: whole, with: prefix + replacement)
    }
}
