"""Remote generator adapters (Tripo3D, Meshy, RunPod serverless) over httpx."""
