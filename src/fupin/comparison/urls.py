app_name = "comparison"
urlpatterns = []
