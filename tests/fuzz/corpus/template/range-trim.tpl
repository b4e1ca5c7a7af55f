{{- range $i, $e := .List -}}
{{ $i }}={{ $e | toUpper | printf "%q" }}
{{- else }}none{{ end -}}