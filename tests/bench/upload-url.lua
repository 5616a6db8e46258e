-- upload-url.lua: wrk turns every request into POST /files/upload-url with a
-- small JSON body (make bench; see scripts/bench-setup.sh). The bearer token
-- comes from wrk's -H, which wrk adds to these headers.
wrk.method = "POST"
wrk.body = '{"filename":"bench.bin","content_type":"application/octet-stream","size":1024}'
wrk.headers["Content-Type"] = "application/json"
