from ninja import NinjaAPI

api = NinjaAPI(title="techalign", version="1")
