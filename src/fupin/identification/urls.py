app_name = "identification"
urlpatterns = []
