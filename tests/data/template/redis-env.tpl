{{- /* The getting-started tutorial's web task: Redis from the catalogue. */ -}}
{{ range nomadService "redis-svc" }}
REDIS_HOST={{ .Address }}
REDIS_PORT={{ .Port }}
{{ end }}
