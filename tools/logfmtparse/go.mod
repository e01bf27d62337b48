module github.com/example/repo-monitor/tools/logfmtparse

go 1.24

require github.com/go-logfmt/logfmt v0.6.0
