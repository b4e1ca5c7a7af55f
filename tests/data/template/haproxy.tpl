defaults
  mode http

frontend www
  bind *:{{ env "NOMAD_PORT_http" | or "8080" }}
  default_backend web

backend web
  balance roundrobin
{{- range $i, $s := nomadService "web|passing,warning" }}
  server web{{ $i }} {{ $s.Address }}:{{ $s.Port }} check{{ if eq $s.Datacenter "dc2" }} backup{{ end }}
{{- else }}
  # no instance of web is healthy
{{- end }}
{{ with nomadService "v9.web" }}{{ else }}
# nothing tagged v9
{{ end -}}
