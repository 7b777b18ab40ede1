/// The configuration reference, rendered from the declarations (`ConfigSetting.all` and
/// `EnvironmentSetting.all`): `Config/README.md` holds this text between its markers, and a test
/// fails when the two differ.
public enum ConfigReference {
    /// The line before the generated reference in `Config/README.md`.
    public static let beginMarker = "<!-- reference: generated from the declarations in Sources/Relay/Configuration; a test checks it -->"
    /// The line after it.
    public static let endMarker = "<!-- end of reference -->"

    /// Both tables as Markdown: every file key with its default, values and meaning, then the
    /// environment variables.
    public static func markdown() -> String {
        let defaults = RelayConfiguration()
        var lines = ["| key | default | values | meaning |", "|---|---|---|---|"]
        for setting in ConfigSetting.all {
            let shipped = setting.shipped ? "" : " (not in the shipped file)"
            lines.append("| `\(setting.key)` | `\(setting.defaultJSON(defaults))` | \(cell(setting.values)) | \(cell(setting.doc + shipped)) |")
        }
        lines += ["", "| environment variable | meaning |", "|---|---|"]
        for variable in EnvironmentSetting.all {
            lines.append("| `\(variable.name)` | \(cell(variable.doc)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` safe inside a Markdown table cell (a `|` would end the cell).
    private static func cell(_ text: String) -> String {
        text.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }
}
